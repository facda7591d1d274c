import BookshelfJSON

/// A message of asyncapi.json's `components/messages`, with what the suite checks records against.
struct AsyncMessage: Sendable {
    var id: String
    /// The CloudEvents `type` (the message `name`), nil for the dead letter.
    var eventType: String?
    /// The `$id` the payload pins `dataschema` to, nil for the dead letter.
    var dataschema: String?
    var payload: JSONValue?
    var headers: JSONValue?
    var keySchema: JSONValue?

    var pointer: String { "/components/messages/\(id)" }

    static func all(in document: JSONValue) -> [String: AsyncMessage] {
        var result: [String: AsyncMessage] = [:]
        for (id, message) in document["components"]?["messages"]?.memberList ?? [] {
            let payload = message["payload"]?["schema"]
            result[id] = AsyncMessage(
                id: id,
                eventType: message["contentType"]?.string == "application/cloudevents+json" ? message["name"]?.string : nil,
                dataschema: payload?["properties"]?["dataschema"]?["const"]?.string,
                payload: payload,
                headers: message["headers"]?["schema"] ?? message["headers"],
                keySchema: message["bindings"]?["kafka"]?["key"]
            )
        }
        return result
    }
}

/// A send or receive operation of asyncapi.json: which service (its tag) sends or receives which messages on
/// which topic.
struct AsyncOperation: Sendable {
    enum Action: String, Sendable { case send, receive }
    var id: String
    var action: Action
    var service: String
    var topic: String
    var messages: [AsyncMessage]

    var pointer: String { "/operations/\(id)" }

    static func all(in document: JSONValue, messages: [String: AsyncMessage]) -> [AsyncOperation] {
        var result: [AsyncOperation] = []
        for (id, operation) in document["operations"]?.memberList ?? [] {
            guard let action = operation["action"]?.string.flatMap(Action.init(rawValue:)),
                  let channelRef = operation["channel"]?["$ref"]?.string else { continue }
            let channelName = String(channelRef.split(separator: "/").last ?? "")
            let channel = document["channels"]?[channelName]
            let used = operation["messages"]?.elements.compactMap { reference -> AsyncMessage? in
                // "#/channels/events/messages/bookAddedV2" names the channel's entry, which refers to the component.
                guard let name = reference["$ref"]?.string?.split(separator: "/").last.map(String.init),
                      let componentRef = channel?["messages"]?[name]?["$ref"]?.string,
                      let component = componentRef.split(separator: "/").last.map(String.init) else { return nil }
                return messages[component]
            } ?? []
            result.append(AsyncOperation(
                id: id, action: action,
                service: operation["tags"]?.elements.first?["name"]?.string ?? "",
                topic: channel?["address"]?.string ?? "",
                messages: used
            ))
        }
        return result.sorted { $0.id < $1.id }
    }
}

extension ContractSet {
    func operations(_ action: AsyncOperation.Action, of service: String) -> [AsyncOperation] {
        operations.filter { $0.action == action && $0.service == service }
    }

    /// The message whose payload pins this `dataschema`.
    func message(dataschema: String) -> AsyncMessage? {
        messages.values.first { $0.dataschema == dataschema }
    }

    /// The messages a channel declares (whether or not an operation uses them), sorted by id.
    func channelMessages(topic: String) -> [AsyncMessage] {
        let channel = asyncAPI["channels"]?.members.first { $0.value["address"]?.string == topic }?.value
        return (channel?["messages"]?.members.map { $0.value } ?? []).compactMap { entry in
            entry["$ref"]?.string?.split(separator: "/").last.flatMap { messages[String($0)] }
        }.sorted { $0.id < $1.id }
    }

    var topics: [String] {
        (asyncAPI["channels"]?.members.compactMap { $0.value["address"]?.string } ?? []).sorted()
    }
}

extension JSONValue {
    /// An object's members in document order; empty for anything else.
    var memberList: [(key: String, value: JSONValue)] { isObject ? Array(members) : [] }
}
