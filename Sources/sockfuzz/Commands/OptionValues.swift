// Durations and sizes in command-line options, read with the scenario language's own syntax
// (`--duration 30s`, `--size 4KiB`); a bad value is a usage error naming the option.

import ArgumentParser
import ScenarioLanguage

enum OptionValues {
    static func nanoseconds(_ text: String, option: String) throws -> UInt64 {
        do { return UInt64(try ArgumentValues.duration(text).nanoseconds) } catch {
            throw ValidationError("\(option) \(text): \(error.message)")
        }
    }

    static func bytes(_ text: String, option: String) throws -> Int {
        do { return try ArgumentValues.size(text).bytes } catch {
            throw ValidationError("\(option) \(text): \(error.message)")
        }
    }
}
