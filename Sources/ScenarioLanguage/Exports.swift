// The language's commands carry the shared vocabulary's values (durations, sizes, rates, server
// modes, faults, stats): whoever reads a parsed program sees them without another import.

@_exported import Vocabulary
