/// A Kafka record header. Kafka allows repeated names, so headers are a list, not a dictionary.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(name: String, value: String) {
        self.init(name: name, value: Array(value.utf8))
    }

    public var stringValue: String? { String(validating: value, as: UTF8.self) }
}

/// Where a record sits in Kafka.
public struct RecordPosition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}

/// A record to produce. Without a partition, librdkafka's partitioner picks one from the key, so records
/// with the same key keep their order.
public struct ProducerRecord: Sendable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    public var partition: Int32?

    public init(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
    }

    public init(topic: String, key: String, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil) {
        self.init(topic: topic, key: Array(key.utf8), value: value, headers: headers, partition: partition)
    }
}

/// A consumed record with its position.
public struct KafkaRecord: Sendable {
    public var position: RecordPosition
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, as stamped by the producer or broker.
    public var timestamp: Int64?

    public init(position: RecordPosition, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader], timestamp: Int64?) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }

    /// The first header with this name.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}
