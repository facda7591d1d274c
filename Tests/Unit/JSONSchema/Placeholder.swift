// Unit tests of JSONSchema live here, one file per type.
