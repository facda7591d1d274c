// Unit tests of Contracts live here, one file per type.
