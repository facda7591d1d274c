// Unit tests of Services live here, one file per type.
