// Deploying beyond one machine, for real (issue 20, item 18): every Kubernetes manifest is valid
// against the Kubernetes API schema (kubernetes-validate, strict: an unknown field is an error,
// not a silent no-op), and the Containerfile that builds the image they name installs, in its
// runtime stage, a package for every shared library the built binary links against (the Swift
// runtime and Foundation are linked in statically there). Neither can build the image here
// (no container engine on this machine): what can be checked offline is checked.

import Foundation
import Testing
import TestSupport

private let validator = PythonModule.available("kubernetes_validate")

@Suite("Deployment: manifests and image", .childSlot)
struct DeploymentImageTests {
    static let manifests = Binary.packageRoot + "/deploy/kubernetes"

    /// `kubernetes-validate --strict` on `files`: its exit status and output.
    private func validate(_ files: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; from kubernetes_validate.__main__ import main; sys.exit(main())",
                             "--strict", "--no-warn"] + files
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("every manifest is valid against the Kubernetes API schema; a misspelled field is caught",
          .enabled(if: validator || RequiredTool.underCI, "python3 -m pip install kubernetes-validate"))
    func manifestsValidate() throws {
        try #require(validator, "kubernetes-validate missing: .ci/run must install it")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.manifests).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 2, "\(files)")
        let valid = try validate(files.map { Self.manifests + "/" + $0 })
        #expect(valid.status == 0, "\(valid.output)")
        #expect(valid.output.components(separatedBy: "passed for resource").count - 1 >= 3, "each resource checked: \(valid.output)")

        // The fault the check exists for: a field Kubernetes would not know.
        let scratch = Scratch()
        let job = try String(contentsOfFile: Self.manifests + "/load-job.yaml", encoding: .utf8)
        try #require(job.contains("parallelism:"))
        let broken = scratch.path + "/broken.yaml"
        try job.replacingOccurrences(of: "parallelism:", with: "paralelism:").write(toFile: broken, atomically: true, encoding: .utf8)
        let caught = try validate([broken])
        #expect(caught.status != 0 && caught.output.contains("paralelism"), "\(caught.output)")
    }

    /// The shared library each runtime package of the image provides (glibc's are in the base).
    static let packageOf = [
        "libssl.so.3": "libssl3", "libcrypto.so.3": "libssl3", "libreadline.so.8": "libreadline8",
        "libtinfo.so.6": "libreadline8", "libz.so.1": "zlib1g", "liburing.so.2": "liburing2", "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
    ]
    /// Linked statically into the image's binary (`--static-swift-stdlib`), or part of glibc.
    static func providedAnyway(_ library: String) -> Bool {
        ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime", "libc.so", "libm.so", "libpthread",
         "libdl.so", "librt.so", "ld-linux", "linux-vdso"].contains { (library as NSString).lastPathComponent.hasPrefix($0) }
    }

    @Test("the Containerfile's runtime stage installs a package for every library the binary links against")
    func containerfileCoversLibraries() throws {
        let containerfile = try String(contentsOfFile: Binary.packageRoot + "/Containerfile", encoding: .utf8)
        let stages = containerfile.components(separatedBy: "\nFROM ")
        try #require(stages.count >= 3, "a build stage and a runtime stage")
        let runtime = stages.last!
        #expect(containerfile.contains("--static-swift-stdlib"), "the Swift runtime goes in statically")
        let manifest = try String(contentsOfFile: Self.manifests + "/load-job.yaml", encoding: .utf8)
        #expect(manifest.contains("image: sockfuzz:latest") && containerfile.contains("-t sockfuzz:latest"), "the image the manifests name")

        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        ldd.arguments = [Binary.path]
        let pipe = Pipe()
        ldd.standardOutput = pipe
        try ldd.run()
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ldd.waitUntilExit()
        let libraries = listing.split(separator: "\n").compactMap { $0.split(separator: " ").first.map { String($0.trimmingCharacters(in: .whitespaces)) } }
        #expect(libraries.contains("libssl.so.3"), "ldd listed the libraries: \(listing)")
        for library in libraries where !Self.providedAnyway(library) {
            let package = Self.packageOf[library]
            #expect(package != nil, "\(library): which Debian package provides it? Add it to the Containerfile's runtime stage and to this table")
            if let package { #expect(runtime.contains(" \(package)"), "the runtime stage must install \(package) for \(library)") }
        }
    }
}
