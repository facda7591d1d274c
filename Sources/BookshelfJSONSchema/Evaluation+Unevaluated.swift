import CJansson

/// The unevaluated vocabulary: `unevaluatedProperties` and `unevaluatedItems` validate what the adjacent
/// keywords left unevaluated, which they first gather without errors (Annotations.swift). Each is inlined
/// into `Keyword.validate`'s switch.
extension Keyword {
    @inline(__always)
    static func validateUnevaluatedProperties(_ schema: Unowned, _ instance: JSONNode, in node: SchemaNode,
                                              _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var evaluated = EvaluatedProperties()
        ev.quietly { node.collectProperties(instance, into: &evaluated, &$0, asking: true) }
        if evaluated.all { return true }
        var valid = true
        var cursor = json_object_iter(instance)
        while let current = cursor {
            cursor = json_object_iter_next(instance, current)
            let name = string(json_object_iter_key(current)!, json_object_iter_key_len(current))
            if evaluated.names.contains(name) { continue }
            if schema.node.boolean == false {
                ev.fail(node, "unevaluatedProperties", "the property \"\(name)\" is not allowed here (unevaluated)")
                valid = false
            } else if !schema.descend(json_object_iter_value(current), &ev, keyword: "unevaluatedProperties",
                                      instanceToken: name) {
                valid = false
            }
            if !valid && !ev.collecting { return false }
        }
        return valid
    }

    @inline(__always)
    static func validateUnevaluatedItems(_ schema: Unowned, _ instance: JSONNode, in node: SchemaNode,
                                         _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY else { return true }
        var evaluated = EvaluatedItems()
        ev.quietly { node.collectItems(instance, into: &evaluated, &$0, asking: true) }
        let count = json_array_size(instance)
        guard evaluated.prefix < count else { return true }
        var valid = true
        for index in evaluated.prefix..<count where !evaluated.indices.contains(index) {
            if schema.node.boolean == false {
                ev.fail(node, "unevaluatedItems", "item \(index) is not allowed here (unevaluated)")
                valid = false
            } else if !schema.descend(json_array_get(instance, index), &ev, keyword: "unevaluatedItems",
                                      instanceToken: String(index)) {
                valid = false
            }
            if !valid && !ev.collecting { return false }
        }
        return valid
    }
}
