// The Kubernetes manifests in deploy/kubernetes, checked offline as far as possible: well-formed
// YAML with the fields an Indexed Job needs (completions = parallelism = the n of --segment),
// and their commands run for real with the built binary — every share of the load Job (each
// JOB_COMPLETION_INDEX) at a small scale against a local server, then the merge Job's command.

import Foundation
import Glibc
import Testing
import TestSupport

private let pyyaml = PythonModule.available("yaml")

@Suite("Kubernetes manifests", .childSlot, .serialized)
struct KubernetesManifestTests {
    static let folder = Binary.packageRoot + "/deploy/kubernetes"

    /// Every YAML document of `file`, as JSON objects (PyYAML does the YAML).
    private func documents(_ file: String) throws -> [[String: Any]] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                            Self.folder + "/" + file]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "\(file) is not well-formed YAML")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    private func job(_ docs: [[String: Any]]) throws -> [String: Any] {
        try #require(docs.first { $0["kind"] as? String == "Job" }, "no Job")
    }

    private func container(_ job: [String: Any]) throws -> [String: Any] {
        let template = try #require((job["spec"] as? [String: Any])?["template"] as? [String: Any])
        let containers = try #require((template["spec"] as? [String: Any])?["containers"] as? [[String: Any]])
        return try #require(containers.first)
    }

    private func shellCommand(_ container: [String: Any]) throws -> String {
        #expect(container["command"] as? [String] == ["/bin/sh", "-c"])
        return try #require((container["args"] as? [String])?.first)
    }

    @Test("the load Job is an Indexed Job whose n matches --segment", .enabled(if: pyyaml || RequiredTool.underCI, "python3 -m pip install pyyaml"))
    func loadJobShape() throws {
        try #require(pyyaml, "PyYAML missing: .ci/run must install it")
        let docs = try documents("load-job.yaml")
        let job = try job(docs)
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")
        let n = try #require(spec["completions"] as? Int)
        #expect(spec["parallelism"] as? Int == n)
        let c = try container(job)
        let env = Dictionary(uniqueKeysWithValues: ((c["env"] as? [[String: Any]]) ?? []).compactMap { e in
            (e["name"] as? String).map { ($0, e["value"] as? String ?? "") } })
        #expect(env["SHARES"] == String(n), "SHARES must equal completions")
        let command = try shellCommand(c)
        #expect(command.contains("--segment \"$JOB_COMPLETION_INDEX/$SHARES\""))
        #expect(command.contains("--start-at \"$START_AT\""))
        #expect(docs.contains { $0["kind"] as? String == "PersistentVolumeClaim" })
    }

    @Test("every share of the load Job and the merge Job run as written", .enabled(if: pyyaml || RequiredTool.underCI, "python3 -m pip install pyyaml"))
    func commandsRun() async throws {
        try #require(pyyaml, "PyYAML missing: .ci/run must install it")
        let scratch = Scratch()
        let server = try RunningSockfuzz(["serve", "--mode", "epoll"], scratch: scratch)
        defer { server.signal(SIGTERM); _ = server.finishBlocking() }
        #expect(await server.waitForOutput(containing: "listening on"), "\(server.output)")
        let words = server.output.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
        let address = try #require(words.firstIndex(of: "on").map { String(words[$0 + 1]) })

        let loadJob = try job(try documents("load-job.yaml"))
        let n = try #require((loadJob["spec"] as? [String: Any])?["completions"] as? Int)
        // As the pods run it, with the binary for `sockfuzz`, the scratch folder for the volume,
        // and a small scale appended (the last value of an option wins).
        func runnable(_ command: String) -> String {
            command.replacingOccurrences(of: "exec sockfuzz ", with: "exec '\(Binary.path)' ")
                .replacingOccurrences(of: "/results", with: scratch.path)
        }
        let load = runnable(try shellCommand(try container(loadJob))) + " --connections 8 --duration 300ms"
        let start = "@\(Int(Date().timeIntervalSince1970) + 1)"
        for index in 0..<n {
            let run = try shell(load, scratch: scratch, environment: [
                "TARGET": address, "START_AT": start, "SHARES": String(n), "JOB_COMPLETION_INDEX": String(index),
            ])
            #expect(run.status == 0, "share \(index): \(run.output)")
        }
        let merge = runnable(try shellCommand(try container(try job(try documents("merge-job.yaml")))))
        let merged = try shell(merge, scratch: scratch, environment: [:])
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.contains("merge: \(n) shares"), "\(merged.output)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/merged.html"))
    }
}

/// Runs `command` with /bin/sh as a pod would, with `environment` added; at most `timeout` seconds.
private func shell(_ command: String, scratch: Scratch, environment: [String: String], timeout: Double = 60) throws -> PipedRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    var env = ProcessInfo.processInfo.environment
    for item in scratch.environment {
        let parts = item.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { env[String(parts[0])] = String(parts[1]) }
    }
    env.merge(environment) { _, new in new }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return PipedRun(status: process.terminationStatus, output: output)
}
