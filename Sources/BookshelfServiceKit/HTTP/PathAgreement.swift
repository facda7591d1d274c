import BookshelfJSON

/// A body that names its resource must name the one in the path. The original API's
/// `POST /bookshelf/books/{id}/finished` sends the whole book, `id` included: a body whose `id` is another
/// book's is a client mixing up two books, and finishing either one would hide it. The gateway and the
/// service refuse it with the same problem.
package enum PathAgreement {
    /// 409 `<name>-mismatch` for the first top-level string member of `body` that is named like a path
    /// parameter and differs from it; nil when every such member agrees (or the body names none). 409, not
    /// 400: the body is valid by its schema (no schema can compare a body with its path), it conflicts with
    /// the resource the path names.
    package static func problem(body: JSONValue, pathParameters: [String: String]) -> Problem? {
        guard body.isObject else { return nil }
        for (name, value) in pathParameters.sorted(by: { $0.key < $1.key }) {
            guard let sent = body[name]?.string, sent != value else { continue }
            return Problem(
                status: .conflict, code: "\(name)-mismatch",
                detail: "The body's \(name) '\(sent.prefix(64))' is not the path's '\(value.prefix(64))': send the body of the resource the path names, or leave \(name) out."
            )
        }
        return nil
    }
}
