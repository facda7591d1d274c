import BookshelfJSON
import BookshelfJSONSchema

/// Checks Kafka records against the AsyncAPI messages of their channel: the key (its schema in
/// `bindings.kafka.key`, and equal to the event's `subject`, which is how the folder ties a record
/// to its entity), the headers (`content-type` = the message's content type, and the message's
/// headers schema) and the value (the message's payload schema: envelope and versioned data).
/// Knows no broker: the caller hands it each record's parts.
public struct RecordVerifier: Sendable {
    /// One message the channel carries, compiled.
    struct Message: Sendable {
        let name: String
        let contentType: String?
        let payload: JSONSchema?
        let headers: JSONSchema?
        let key: JSONSchema?
        /// The `type` and `dataschema` consts of the payload, to name the message a record meant to be.
        let type: String?
        let dataschema: String?
    }

    public let topic: String
    public let channel: String
    let messages: [Message]

    /// The verifier for the channel whose `address` is `topic` in the folder's `asyncapi.json`.
    public init(registry: ContractRegistry, topic: String) throws(ContractError) {
        let file = registry.folder + "/asyncapi.json"
        let document: JSONValue
        do {
            document = try JSONValue(contentsOfFile: file)
        } catch {
            throw ContractError(code: .badSchemaFile, message: "cannot read \(file): \(error)")
        }
        guard let (name, channel) = (document["channels"] ?? [:]).members.first(where: { $0.value["address"]?.string == topic }) else {
            let known = (document["channels"] ?? [:]).members.compactMap { $0.value["address"]?.string }.sorted()
            throw ContractError(code: .unresolvableReference,
                                message: "asyncapi.json has no channel with the address \(topic) (it has \(known.joined(separator: ", ")))")
        }
        var schemas = SchemaRegistry()
        do {
            for id in registry.schemaIDs {
                if let schema = registry.schema(id: id) { try schemas.register(schema) }
            }
        } catch {
            throw ContractError(code: .badSchemaFile, message: "the contracts do not compile: \(error)")
        }
        let rewriter = ReferenceRewriter(registry: registry)
        var messages: [Message] = []
        let defaultContentType = document["defaultContentType"]?.string
        for (messageName, reference) in (channel["messages"] ?? [:]).members {
            guard let message = Self.resolve(reference, in: document) else {
                throw ContractError(code: .unresolvableReference, message: "asyncapi.json: channel \(name) message \(messageName) names nothing")
            }
            func compile(_ schema: JSONValue?, _ what: String) throws(ContractError) -> JSONSchema? {
                guard var schema else { return nil }
                if let inner = schema["schema"], schema["schemaFormat"] != nil { schema = inner }
                guard schema.isObject || schema.isBool, !(schema.isObject && schema.keys.allSatisfy({ $0 == "description" })) else { return nil }
                do {
                    return try schemas.compile(rewriter.rewrite(schema), uri: "urn:bookshelf:asyncapi:\(name):\(messageName):\(what)")
                } catch {
                    throw ContractError(code: .badSchemaFile, message: "asyncapi.json: the \(what) schema of message \(messageName) does not compile: \(error)")
                }
            }
            let payload = message["payload"]
            let payloadSchema = payload?["schema"] != nil && payload?["schemaFormat"] != nil ? payload?["schema"] : payload
            messages.append(Message(
                name: messageName,
                contentType: message["contentType"]?.string ?? defaultContentType,
                payload: try compile(payload, "payload"),
                headers: try compile(message["headers"], "headers"),
                key: try compile(message["bindings"]?["kafka"]?["key"], "key"),
                type: payloadSchema?["properties"]?["type"]?["const"]?.string,
                dataschema: payloadSchema?["properties"]?["dataschema"]?["const"]?.string))
        }
        self.topic = topic
        self.channel = name
        self.messages = messages
    }

    private static func resolve(_ value: JSONValue, in document: JSONValue) -> JSONValue? {
        guard let reference = value["$ref"]?.string else { return value }
        guard reference.hasPrefix("#"), let target = JSONPointer.resolve(String(reference.dropFirst()), in: document) else { return nil }
        return resolve(target, in: document)
    }

    /// What is wrong with one record; empty when it conforms to a message of the channel.
    public func problems(key: [UInt8]?, headers: [(name: String, value: [UInt8])], value: [UInt8]) -> [String] {
        let event: JSONValue
        do {
            event = try JSONValue(parsing: value)
        } catch {
            return ["value is not JSON: \(error)"]
        }
        let candidates = messages.filter { message in
            (message.type == nil || message.type == event["type"]?.string) && (message.dataschema == nil || message.dataschema == event["dataschema"]?.string)
        }
        guard !candidates.isEmpty else {
            let named = [event["type"], event["dataschema"]].map { $0?.serialized() ?? "none" }.joined(separator: ", ")
            return ["value: no message of channel \(channel) has this type and dataschema (\(named))"]
        }
        var best: [String]?
        for message in candidates {
            let found = problems(of: message, key: key, headers: headers, value: event)
            if found.isEmpty { return [] }
            if best == nil || found.count < best!.count { best = found }
        }
        return best ?? []
    }

    private func problems(of message: Message, key: [UInt8]?, headers: [(name: String, value: [UInt8])], value: JSONValue) -> [String] {
        var problems: [String] = []
        let headerValues = headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }
        let contentTypes = headerValues.filter { $0.0.lowercased() == "content-type" }.map(\.1)
        if let expected = message.contentType {
            if contentTypes.isEmpty {
                problems.append("header content-type missing (expected \(expected))")
            } else if !contentTypes.contains(expected) {
                problems.append("header content-type is \(contentTypes.joined(separator: ", ")), expected \(expected)")
            }
        }
        if let schema = message.headers {
            let object = JSONValue.object(headerValues.map { ($0.0, JSONValue.string($0.1)) })
            for error in schema.validate(object).errors {
                problems.append("headers\(error.instanceLocation): \(error.message)")
            }
        }
        if let schema = message.payload {
            // The envelope checks `data` in more than one branch: each reason once.
            var seen: Set<String> = []
            for error in schema.validate(value).errors {
                let problem = "value\(error.instanceLocation): \(error.message)"
                if seen.count < 5, seen.insert(problem).inserted { problems.append(problem) }
            }
        }
        guard let key else {
            if message.key != nil { problems.append("key missing") }
            return problems
        }
        let keyText = String(decoding: key, as: UTF8.self)
        if let schema = message.key, !schema.isValid(.string(keyText)) {
            problems.append("key \"\(keyText)\" does not match the message's key schema: " +
                            schema.validate(.string(keyText)).errors.map(\.message).joined(separator: "; "))
        }
        if let subject = value["subject"]?.string, subject != keyText {
            problems.append("key \"\(keyText)\" is not the event's subject \"\(subject)\"")
        }
        return problems
    }
}

/// Turns the file `$ref`s of an API document ("events/x/v1.schema.json#/…", relative to the
/// folder) into references by `$id`, so that its inline schemas compile against the folder's.
struct ReferenceRewriter {
    let registry: ContractRegistry

    func rewrite(_ value: JSONValue) -> JSONValue {
        if value.isObject {
            return .object(value.members.map { key, member in
                if key == "$ref", let reference = member.string, let rewritten = target(reference) { return (key, .string(rewritten)) }
                return (key, rewrite(member))
            })
        }
        if value.isArray { return .array(value.elements.map(rewrite)) }
        return value
    }

    private func target(_ reference: String) -> String? {
        let (uri, fragment) = SchemaReference.split(reference)
        guard !uri.isEmpty, !SchemaReference.hasScheme(uri) else { return nil }
        let path = String(URIReference.removeDotSegments("/" + uri).dropFirst())
        guard let id = registry.schemaIDs.first(where: { registry.path(ofSchema: $0) == path }) else { return nil }
        return fragment.isEmpty ? id : id + "#" + fragment
    }
}
