/// The running children at one moment, in plan order: what the table and the state file are made of.
package struct StackSnapshot: Sendable, Equatable {
    package struct Member: Sendable, Equatable {
        package let name: String
        package let pid: Int32
        /// What the child announced on stdout (the broker's address), if it is that kind of child.
        package let announced: String?
    }

    package let members: [Member]

    package subscript(name: String) -> Member? {
        members.first { $0.name == name }
    }
}
