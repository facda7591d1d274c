// Unit tests of Discovery live here, one file per type.
