// Unit tests of Gateway live here, one file per type.
