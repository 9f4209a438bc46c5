// The toxic values (Toxic, ToxicText) live in Vocabulary, where the scenario language reads them too;
// users of the proxy get them with it.
@_exported import struct Vocabulary.Toxic
@_exported import enum Vocabulary.ToxicText
@_exported import enum Vocabulary.ToxicType
@_exported import enum Vocabulary.ToxicStream
@_exported import struct Vocabulary.ToxicError
