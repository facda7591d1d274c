import BookshelfJSON
import BookshelfKafka

/// The checks every produced record must pass, from asyncapi.json and the schemas it names.
extension ContractSet {
    static let asyncAPIFile = "contracts/asyncapi.json"

    /// An event record on an events topic: sent under a send operation of the service its `source` names,
    /// on that operation's topic, key = book id, the content-type header, an envelope and data valid
    /// against their schemas, `type` and `dataschema` those of the operation's message.
    func checkEvent(_ record: KafkaRecord, into report: inout Report) {
        let at = "record \(record.position)"
        guard let event = try? JSONValue(parsing: record.value), event.isObject else {
            report.check("unknown producer", [Finding(contract: Self.asyncAPIFile, pointer: "/defaultContentType", instance: "", message: "\(at): the value is not a JSON object")])
            return
        }
        let source = event["source"]?.string ?? ""
        let service = source.hasPrefix("/bookshelf/") ? String(source.dropFirst("/bookshelf/".count)) : source
        report.tallies[service, default: Report.Tally()].produced += 1

        report.check(service, violations(of: event, against: Self.idPrefix + "cloudevents/envelope.schema.json", what: "\(at) envelope"))

        let dataschema = event["dataschema"]?.string ?? ""
        let schemaExists = (try? schema(dataschema)) != nil
        report.check(service, schemaExists, Finding(contract: "contracts/cloudevents/envelope.schema.json", pointer: "/properties/dataschema", instance: "/dataschema", message: "\(at): dataschema '\(dataschema)' names no schema in contracts/"))
        if schemaExists, let data = event["data"] {
            report.check(service, violations(of: data, against: dataschema, what: "\(at) data"))
        }

        let sends = operations(.send, of: service)
        guard let message = message(dataschema: dataschema) else {
            report.check(service, [Finding(contract: Self.asyncAPIFile, pointer: "/components/messages", instance: "/dataschema", message: "\(at): no message of asyncapi.json has dataschema '\(dataschema)'")])
            return
        }
        guard let operation = sends.first(where: { $0.messages.contains { $0.id == message.id } }) else {
            report.check(service, [Finding(contract: Self.asyncAPIFile, pointer: "/operations", instance: "", message: "\(at): \(service) sends \(message.id) (\(source)), but no send operation of \(service) declares it")])
            return
        }
        report.cover("send", operation.id, message.id)
        report.check(service, record.position.topic == operation.topic, Finding(contract: Self.asyncAPIFile, pointer: operation.pointer + "/channel", instance: "", message: "\(at): written to topic \(record.position.topic), the operation's channel is \(operation.topic)"))
        report.check(service, event["type"]?.string == message.eventType, Finding(contract: Self.asyncAPIFile, pointer: message.pointer + "/name", instance: "/type", message: "\(at): type \(event["type"]?.string ?? "-") is not \(message.eventType ?? "-")"))
        report.check(service, source == "/bookshelf/" + operation.service, Finding(contract: Self.asyncAPIFile, pointer: operation.pointer + "/tags/0/name", instance: "/source", message: "\(at): source \(source) is not /bookshelf/\(operation.service)"))
        if let payload = message.payload {
            do {
                report.check(service, Self.findings(try inlineSchema(payload, name: "asyncapi-\(message.id).json").validate(event), what: "\(at) payload of \(message.id)").map {
                    var finding = $0
                    if finding.contract.hasSuffix("asyncapi-\(message.id).json") {
                        finding.contract = Self.asyncAPIFile
                        finding.pointer = message.pointer + "/payload/schema" + finding.pointer
                    }
                    return finding
                })
            } catch {
                report.check(service, [Finding(contract: Self.asyncAPIFile, pointer: message.pointer + "/payload/schema", instance: "", message: "does not compile: \(error)")])
            }
        }
        let key = record.keyString
        report.check(service, key != nil && key == event["data"]?["id"]?.string, Finding(contract: Self.asyncAPIFile, pointer: message.pointer + "/bindings/kafka/key", instance: "/data/id", message: "\(at): key \(key ?? "(none)") is not the book id \(event["data"]?["id"]?.string ?? "-")"))
        if let keySchema = message.keySchema, let key, let compiled = try? inlineSchema(keySchema, name: "asyncapi-\(message.id)-key.json") {
            report.check(service, compiled.isValid(.string(key)), Finding(contract: Self.asyncAPIFile, pointer: message.pointer + "/bindings/kafka/key", instance: "", message: "\(at): key '\(key)' fails the key schema"))
        }
        checkHeaders(record, message: message, service: service, at: at, into: &report)
    }

    /// The record's headers, as a JSON object of name to UTF-8 value, against the message's header schema.
    func checkHeaders(_ record: KafkaRecord, message: AsyncMessage, service: String, at: String, into report: inout Report) {
        guard let headers = message.headers else { return }
        let object = JSONValue.object(record.headers.map { ($0.name, JSONValue.string($0.stringValue ?? "")) })
        do {
            let schema = try inlineSchema(headers, name: "asyncapi-\(message.id)-headers.json")
            report.check(service, Self.findings(schema.validate(object), what: "\(at) headers").map {
                var finding = $0
                if finding.contract.hasSuffix("asyncapi-\(message.id)-headers.json") {
                    finding.contract = Self.asyncAPIFile
                    finding.pointer = message.pointer + "/headers" + finding.pointer
                }
                return finding
            })
        } catch {
            report.check(service, [Finding(contract: Self.asyncAPIFile, pointer: message.pointer + "/headers", instance: "", message: "does not compile: \(error)")])
        }
    }
}
