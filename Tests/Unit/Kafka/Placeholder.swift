// Unit tests of Kafka live here, one file per type.
