// Python packages some tests read sockfuzz's output back with (an independent decoder or parser),
// probed once. As with RequiredTool, a test needing a missing one is skipped, saying so, except
// under CI=true, where .ci/run must have installed it.

import Foundation

public enum PythonModule {
    /// Whether `python3 -c "import MODULE"` succeeds here.
    public static func available(_ module: String) -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import \(module)"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}
