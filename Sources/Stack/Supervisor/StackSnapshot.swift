/// The running children at one moment, in plan order: what the table and the state file are made of.
public struct StackSnapshot: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let name: String
        public let pid: Int32
        /// What the child announced on stdout (the broker's address), if it is that kind of child.
        public let announced: String?
    }

    public let members: [Member]

    public subscript(name: String) -> Member? {
        members.first { $0.name == name }
    }
}
