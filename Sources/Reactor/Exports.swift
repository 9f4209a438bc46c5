// Users of the event loop name backends by `BackendKind`, which lives in the shared vocabulary.

@_exported import Vocabulary
