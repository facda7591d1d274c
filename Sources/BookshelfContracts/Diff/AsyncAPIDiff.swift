import BookshelfJSON
import BookshelfJSONSchema

/// `asyncapi.json` against its previous state: channels (and their addresses), the messages of
/// each channel, each message's headers and its Kafka key schema.
struct AsyncAPIDiff {
    let base: ContractsSnapshot
    let head: ContractsSnapshot
    static let file = "asyncapi.json"

    func findings() -> [DiffFinding] {
        guard let old = base.documents[Self.file], let new = head.documents[Self.file] else { return [] }
        var findings: [DiffFinding] = []
        for (channel, oldChannel) in (old["channels"] ?? [:]).members {
            let pointer = JSONPointer.appending(channel, to: "/channels")
            guard let newChannel = new["channels"]?[channel] else {
                findings.append(finding(.asyncapiChannelRemoved, pointer, "channel \(channel) (\(oldChannel["address"]?.string ?? "no address")) removed", in: head))
                continue
            }
            if let address = oldChannel["address"], newChannel["address"] != address {
                findings.append(finding(.asyncapiChannelAddressChanged, pointer + "/address",
                                        "channel \(channel): address changed from \(address.serialized()) to \(newChannel["address"]?.serialized() ?? "none")", in: head))
            }
            for (name, oldReference) in (oldChannel["messages"] ?? [:]).members {
                let at = JSONPointer.appending(name, to: pointer + "/messages")
                guard let newReference = newChannel["messages"]?[name] else {
                    findings.append(finding(.asyncapiMessageRemoved, at, "channel \(channel): message \(name) removed", in: head))
                    continue
                }
                let before = resolve(oldReference, in: old), after = resolve(newReference, in: new)
                findings += headers(channel, name, at, before, after)
                if let key = before?["bindings"]?["kafka"]?["key"], !Self.sameSchema(key, after?["bindings"]?["kafka"]?["key"]) {
                    findings.append(finding(.asyncapiKeyChanged, at, "channel \(channel) message \(name): the Kafka key schema changed from \(key.serialized()) to \(after?["bindings"]?["kafka"]?["key"]?.serialized() ?? "none")", in: head))
                }
            }
            for (name, _) in (newChannel["messages"] ?? [:]).members where oldChannel["messages"]?[name] == nil {
                findings.append(finding(.added, JSONPointer.appending(name, to: pointer + "/messages"), "channel \(channel): message \(name) added", in: head))
            }
        }
        for (channel, _) in (new["channels"] ?? [:]).members where old["channels"]?[channel] == nil {
            findings.append(finding(.added, JSONPointer.appending(channel, to: "/channels"), "channel \(channel) added", in: head))
        }
        return findings
    }

    private func headers(_ channel: String, _ name: String, _ pointer: String, _ old: JSONValue?, _ new: JSONValue?) -> [DiffFinding] {
        let before = headerNames(old, in: head), after = headerNames(new, in: head)
        return before.subtracting(after).sorted().map {
            finding(.asyncapiHeaderRemoved, pointer, "channel \(channel) message \(name): header \($0) removed", in: head)
        }
    }

    /// The header names a message declares: its headers schema's properties (the schema may sit
    /// in a multi-format object, or in a file of the folder).
    private func headerNames(_ message: JSONValue?, in snapshot: ContractsSnapshot) -> Set<String> {
        guard var schema = message?["headers"] else { return [] }
        if let inner = schema["schema"], schema["schemaFormat"] != nil { schema = inner }
        let reader = FieldReader(snapshot: snapshot)
        let location = SchemaLocation(schema: schema, document: ContractsSnapshot.fileURI(Self.file), pointer: "")
        let parts = reader.generator.objectParts(location)
        return Set(parts.properties.map(\.name) + parts.required)
    }

    /// A `$ref` within the document followed, once.
    private func resolve(_ value: JSONValue, in document: JSONValue) -> JSONValue? {
        guard let reference = value["$ref"]?.string, reference.hasPrefix("#") else { return value }
        guard let target = JSONPointer.resolve(URIReference.percentDecoded(String(reference.dropFirst())), in: document) else { return nil }
        return target["$ref"] != nil ? resolve(target, in: document) : target
    }

    /// Equal once annotations (`description`, `title`, `examples`) are set aside.
    static func sameSchema(_ a: JSONValue, _ b: JSONValue?) -> Bool {
        guard let b else { return false }
        let annotations: Set<String> = ["description", "title", "examples", "$comment"]
        guard a.isObject, b.isObject else { return a == b }
        return JSONValue.object(a.members.filter { !annotations.contains($0.key) }.map { ($0.key, $0.value) })
            == JSONValue.object(b.members.filter { !annotations.contains($0.key) }.map { ($0.key, $0.value) })
    }

    private func finding(_ rule: DiffRule, _ pointer: String, _ message: String, in snapshot: ContractsSnapshot) -> DiffFinding {
        DiffFinding(rule: rule, file: Self.file, pointer: pointer, line: snapshot.line(of: pointer, in: Self.file), message: message)
    }
}
