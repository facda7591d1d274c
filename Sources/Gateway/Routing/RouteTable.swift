import BookshelfApp
import BookshelfJSON

/// The public API as `contracts/openapi.json` declares it: which paths and methods exist, which service
/// answers each operation, and which schemas its path parameters and body must meet.
package struct RouteTable: Sendable {
    /// Which service answers each operation (names from the app's table, `BookshelfServices`). The contract says what exists;
    /// this says where it lives.
    package static let upstreamServices: [String: String] = [
        "addBook": BookshelfServices.newBook.consulName,
        "listBooks": BookshelfServices.listBooks.consulName,
        "finishBook": BookshelfServices.bookRead.consulName,
        "lastReadBooks": BookshelfServices.lastRead.consulName,
        "getBook": BookshelfServices.listBooks.consulName,
    ]

    package struct Parameter: Sendable, Equatable {
        package var name: String
        /// Absolute `$id` (with fragment) of the schema the value must meet.
        package var schemaID: String?
        /// Whether the text stands for a JSON integer (its schema's `type`), as a query's `limit=5` does.
        package var isInteger = false
        package var required = false
    }

    package struct RequestBody: Sendable, Equatable {
        package var required: Bool
        /// Media types the operation accepts, lower-case.
        package var mediaTypes: [String]
        /// Absolute `$id` of the JSON body's schema.
        package var schemaID: String?
    }

    package struct Operation: Sendable, Equatable {
        package var id: String
        package var method: String
        var pathTemplate: String
        package var upstream: String
        package var pathParameters: [Parameter]
        package var queryParameters: [Parameter] = []
        /// Header names as the document writes them; HTTP compares them case-insensitively.
        package var headerParameters: [Parameter] = []
        package var body: RequestBody?
    }

    package enum Match: Sendable, Equatable {
        case operation(Operation, pathParameters: [String: String])
        /// The path exists, the method does not; `allowed` lists its methods for `Allow`.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private struct PathEntry: Sendable {
        var template: String
        var segments: [Segment]
        var operations: [String: Operation]
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private let paths: [PathEntry]

    package var operations: [Operation] {
        paths.flatMap { $0.operations.values }.sorted { ($0.pathTemplate, $0.method) < ($1.pathTemplate, $1.method) }
    }

    /// - Parameters:
    ///   - resolveSchema: turns a `$ref` as written in the document (relative file reference with an
    ///     optional fragment) into the schema's absolute `$id`.
    ///   - schemaType: the `type` of the schema with that `$id`, if it has one.
    package init(
        openAPI document: JSONValue,
        upstreams: [String: String] = RouteTable.upstreamServices,
        resolveSchema: (String) throws(GatewayError) -> String,
        schemaType: (String) -> String? = { _ in nil }
    ) throws(GatewayError) {
        guard let pathsObject = document["paths"], pathsObject.isObject else {
            throw GatewayError(.invalidContract, "openapi.json has no paths object")
        }
        var entries: [PathEntry] = []
        for (template, item) in pathsObject.members {
            let segments = template.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
                part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
            }
            let shared = try Self.parameters(item["parameters"], in: document, resolveSchema: resolveSchema, schemaType: schemaType)
            var operations: [String: Operation] = [:]
            for (key, operation) in item.members {
                let method = key.uppercased()
                guard Self.methods.contains(method) else { continue }
                guard let id = operation["operationId"]?.string else {
                    throw GatewayError(.invalidContract, "\(method) \(template) in openapi.json has no operationId")
                }
                guard let upstream = upstreams[id] else {
                    throw GatewayError(.invalidContract, "operation \(id) (\(method) \(template)) has no upstream service; add it to RouteTable.upstreamServices")
                }
                let own = try Self.parameters(operation["parameters"], in: document, resolveSchema: resolveSchema, schemaType: schemaType)
                let all = shared + own
                operations[method] = Operation(
                    id: id, method: method, pathTemplate: template, upstream: upstream,
                    pathParameters: all.filter { $0.location == "path" }.map(\.parameter),
                    queryParameters: all.filter { $0.location == "query" }.map(\.parameter),
                    headerParameters: all.filter { $0.location == "header" }.map(\.parameter),
                    body: try Self.requestBody(operation["requestBody"], in: document, resolveSchema: resolveSchema)
                )
            }
            entries.append(PathEntry(template: template, segments: segments, operations: operations))
        }
        // Literal segments win over parameters, so /bookshelf/books/last/read is never taken for an id.
        entries.sort { Self.specificity($0.segments).lexicographicallyPrecedes(Self.specificity($1.segments)) }
        self.paths = entries
    }

    static let methods: Set<String> = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]

    package func match(method: String, path: String) -> Match {
        let slash = UInt8(ascii: "/")
        let bytes = path.utf8
        // A trailing or doubled slash names a different resource; be strict rather than guess.
        if bytes.isEmpty || (bytes.count > 1 && bytes.last == slash) { return .notFound }
        if zip(bytes, bytes.dropFirst()).contains(where: { $0 == slash && $1 == slash }) { return .notFound }
        let parts = bytes.split(separator: slash).map { Substring($0) }
        let requested = method.uppercased()
        for entry in paths {
            guard let parameters = Self.bind(entry.segments, to: parts) else { continue }
            // HEAD is answered wherever GET is, as HTTP requires.
            if let operation = entry.operations[requested] ?? (requested == "HEAD" ? entry.operations["GET"] : nil) {
                return .operation(operation, pathParameters: parameters)
            }
            return .methodNotAllowed(allowed: Self.allowed(entry.operations))
        }
        return .notFound
    }

    private static func allowed(_ operations: [String: Operation]) -> [String] {
        var methods = Set(operations.keys)
        if methods.contains("GET") { methods.insert("HEAD") }
        // Answered on every path: 204 with `Allow`.
        methods.insert("OPTIONS")
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        return order.filter(methods.contains)
    }

    private static func bind(_ segments: [Segment], to parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard part == text else { return nil }
            case .parameter(let name):
                guard let decoded = String(part).removingPercentEncodingStrict() else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }

    private static func specificity(_ segments: [Segment]) -> [Int] {
        // Lower sorts first: a literal (0) before a parameter (1), position by position.
        segments.map { if case .literal = $0 { 0 } else { 1 } }
    }

    private struct LocatedParameter {
        var location: String
        var parameter: Parameter
    }

    private static func parameters(
        _ list: JSONValue?, in document: JSONValue, resolveSchema: (String) throws(GatewayError) -> String,
        schemaType: (String) -> String?
    ) throws(GatewayError) -> [LocatedParameter] {
        guard let list, list.isArray else { return [] }
        var result: [LocatedParameter] = []
        for item in list.elements {
            let parameter = try dereference(item, in: document)
            guard let name = parameter["name"]?.string, let location = parameter["in"]?.string else {
                throw GatewayError(.invalidContract, "a parameter in openapi.json lacks name or in")
            }
            let schemaID = try parameter["schema"].flatMap { schema throws(GatewayError) in try schemaReference(schema, resolveSchema: resolveSchema) }
            let isInteger = schemaID.flatMap(schemaType) == "integer" || parameter["schema"]?["type"]?.string == "integer"
            result.append(LocatedParameter(location: location, parameter: Parameter(
                name: name, schemaID: schemaID, isInteger: isInteger, required: parameter["required"]?.bool ?? (location == "path")
            )))
        }
        return result
    }

    private static func requestBody(
        _ body: JSONValue?, in document: JSONValue, resolveSchema: (String) throws(GatewayError) -> String
    ) throws(GatewayError) -> RequestBody? {
        guard let body else { return nil }
        let resolved = try dereference(body, in: document)
        var mediaTypes: [String] = []
        var schemaID: String?
        for (mediaType, content) in resolved["content"]?.members.map({ $0 }) ?? [] {
            mediaTypes.append(mediaType.lowercased())
            if mediaType.lowercased() == "application/json", let schema = content["schema"] {
                schemaID = try schemaReference(schema, resolveSchema: resolveSchema)
            }
        }
        return RequestBody(required: resolved["required"]?.bool ?? false, mediaTypes: mediaTypes, schemaID: schemaID)
    }

    /// Only `$ref` schemas are supported: the contracts keep every schema in its own file with an `$id`.
    private static func schemaReference(_ schema: JSONValue, resolveSchema: (String) throws(GatewayError) -> String) throws(GatewayError) -> String? {
        guard let reference = schema["$ref"]?.string else { return nil }
        return try resolveSchema(reference)
    }

    /// Follows a local `#/components/...` reference inside openapi.json.
    private static func dereference(_ value: JSONValue, in document: JSONValue) throws(GatewayError) -> JSONValue {
        guard let reference = value["$ref"]?.string else { return value }
        guard reference.hasPrefix("#/") else {
            throw GatewayError(.invalidContract, "openapi.json refers to '\(reference)'; only local references are supported here")
        }
        var node = document
        for token in reference.dropFirst(2).split(separator: "/") {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            guard let next = node[key] else {
                throw GatewayError(.invalidContract, "openapi.json refers to '\(reference)', which does not exist")
            }
            node = next
        }
        return node
    }
}

extension String {
    /// Percent-decoding that fails on malformed escapes instead of passing them through.
    func removingPercentEncodingStrict() -> String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
