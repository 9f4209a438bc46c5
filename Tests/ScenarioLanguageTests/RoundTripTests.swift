// Rendering is the inverse of parsing: generated programs render to text that parses back to
// equal commands, and rendering is canonical (render -> parse -> render is stable).

import Testing
@testable import ScenarioLanguage

@Suite("Render round trip")
struct RoundTripTests {
    func reparse(_ text: String) throws(ScenarioError) -> [Statement] {
        try ScenarioParser.parse(source: text, file: "gen.scn") { path in
            guard let text = ProgramGenerator.library[path] else { throw MissingFile() }
            return text
        }.statements
    }

    @Test("generated programs render and parse back to equal commands", arguments: 0..<4)
    func generated(shard: Int) throws {
        for seed in 0..<250 {
            var generator = ProgramGenerator(seed: UInt64(shard * 1000 + seed))
            let statements = generator.program(length: 1 + seed % 30)
            let text = Program(statements: statements).rendered
            let parsed: [Statement]
            do {
                parsed = try reparse(text)
            } catch {
                Issue.record("seed \(shard * 1000 + seed): \(error)\n\(text)")
                continue
            }
            if withoutLocations(parsed) != statements {
                Issue.record("seed \(shard * 1000 + seed) did not round-trip:\n\(text)")
            }
            #expect(Program(statements: parsed).rendered == text)
        }
    }

    @Test("canonical forms", arguments: [
        ("sleep 1.5s", "sleep 1500ms"),
        ("connect web 10k rate=5000/s timeout=60s", "connect web 10000 rate=5000/s timeout=1m"),
        ("send web random 1..8192 chunks=2..2 gap=0..10ms", "send web random 1..8KiB chunks=2 gap=0..10ms"),
        ("send web hex \"48 65\"", "send web hex \"4865\""),
        ("expect server bytes_in >= 1KiB", "expect server bytes_in >= 1024"),
        ("server start epoll limit=1k edge port=80", "server start epoll port=80 edge limit=1000"),
        ("server start epoll port=80 key=k.pem tls cert=certs/c.pem", "server start epoll tls cert=certs/c.pem key=k.pem port=80"),
        ("load web rate=1k/s duration=1s size=1KB", "load web size=1000 rate=1000/s duration=1s"),
        ("target [localhost]:80", "target localhost:80"),
        ("print \"tab\\x09\"", "print \"tab\\t\""),
        ("fuzz seed=0x10", "fuzz seed=16"),
        ("send web file \"plain.bin\"", "send web file plain.bin"),
    ])
    func canonical(source: String, rendered: String) {
        #expect(command(source)?.rendered == rendered)
    }

    @Test("repeat renders as an indented block")
    func repeatBlock() throws {
        let program = try parse("connect web 1\nrepeat 2 {\nrepeat 3 {\nsend web \"x\"\n}\nsleep 1s\n}")
        #expect(program.rendered == """
            connect web 1
            repeat 2 {
                repeat 3 {
                    send web "x"
                }
                sleep 1s
            }

            """)
    }
}
