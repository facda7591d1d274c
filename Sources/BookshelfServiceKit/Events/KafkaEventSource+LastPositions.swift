extension KafkaEventSource {
    package func lastPositions() async -> PositionVector? {
        guard let ends = try? await consumer.endOffsets() else { return nil }
        return PositionVector(ends.filter { $0.end > 0 }.map { EventPosition(partition: $0.partition, offset: $0.end - 1) })
    }
}
