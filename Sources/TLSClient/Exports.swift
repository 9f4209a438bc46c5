// The client's settings (`ClientTLS`) are plain values in Vocabulary, where the scenario language
// reads them too: whoever uses this TLS client sees them without another import.

@_exported import Vocabulary
