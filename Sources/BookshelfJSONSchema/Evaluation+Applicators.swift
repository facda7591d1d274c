import CJansson

/// The applicator vocabulary and the core references: keywords that validate the instance, or parts of
/// it, against subschemas (properties and their fused `objectShape`, items, contains, the boolean
/// combinations, if/then/else, `$ref`, `$dynamicRef`). Each is inlined into `Keyword.validate`'s switch.
extension Keyword {
    // MARK: Objects

    @inline(__always)
    static func validateProperties(_ properties: UnsafeBufferPointer<PropertySchema>, _ instance: JSONNode,
                                   _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        for property in properties {
            guard let value = property.key.lookup(in: instance) else { continue }
            if !property.schema.descend(value, &ev, keyword: "properties", token: property.key.name,
                                        instanceToken: property.key.name) {
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    /// `properties`, `additionalProperties` and `required` of one node in a single pass over the members.
    @inline(__always)
    static func validateObjectShape(_ properties: UnsafeBufferPointer<PropertySchema>, additional: Unowned, required: UInt64,
                                    _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        var seen: UInt64 = 0
        // Members usually come in the order the schema lists them (producers write them so), so each
        // search starts after the last property found: then one comparison finds a member.
        var start = 0
        var cursor = json_object_iter(instance)
        while let current = cursor {
            cursor = json_object_iter_next(instance, current)
            let key = json_object_iter_key(current)!
            let length = json_object_iter_key_len(current)
            var index = start
            var probes = 0
            while probes < properties.count && !properties[index].key.equals(key, length: length) {
                index = index + 1 == properties.count ? 0 : index + 1
                probes += 1
            }
            if probes < properties.count {
                start = index + 1 == properties.count ? 0 : index + 1
                seen |= 1 << UInt64(index)
                if !properties[index].schema.descend(json_object_iter_value(current), &ev, keyword: "properties",
                                                     token: string(key, length),
                                                     instanceToken: string(key, length)) {
                    valid = false
                }
            } else if additional.node.boolean == false {
                ev.fail(node, "additionalProperties", "the property \"\(string(key, length))\" is not allowed here")
                valid = false
            } else if !additional.descend(json_object_iter_value(current), &ev, keyword: "additionalProperties",
                                          instanceToken: string(key, length)) {
                valid = false
            }
            if !valid && !ev.collecting { return false }
        }
        if seen & required != required {
            for index in properties.indices where required & (1 << UInt64(index)) != 0 && seen & (1 << UInt64(index)) == 0 {
                ev.fail(node, "required", "the required property \"\(properties[index].key.name)\" is missing")
            }
            return false
        }
        return valid
    }

    @inline(__always)
    static func validatePatternProperties(_ patterns: UnsafeBufferPointer<PatternSchema>, _ instance: JSONNode,
                                          _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        var cursor = json_object_iter(instance)
        while let current = cursor {
            cursor = json_object_iter_next(instance, current)
            let key = json_object_iter_key(current)!
            let length = json_object_iter_key_len(current)
            for pattern in patterns where pattern.regex.takeUnretainedValue().matches(key, length: length) {
                if !pattern.schema.descend(json_object_iter_value(current), &ev, keyword: "patternProperties",
                                           token: pattern.regex.takeUnretainedValue().source,
                                           instanceToken: string(key, length)) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
        }
        return valid
    }

    @inline(__always)
    static func validateAdditionalProperties(_ schema: Unowned, properties: UnsafeBufferPointer<PropertyKey>,
                                             patterns: UnsafeBufferPointer<Unmanaged<ECMARegex>>, _ instance: JSONNode,
                                             in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        var cursor = json_object_iter(instance)
        while let current = cursor {
            cursor = json_object_iter_next(instance, current)
            let key = json_object_iter_key(current)!
            let length = json_object_iter_key_len(current)
            if properties.contains(where: { $0.equals(key, length: length) }) { continue }
            if patterns.contains(where: { $0.takeUnretainedValue().matches(key, length: length) }) { continue }
            if schema.node.boolean == false {
                ev.fail(node, "additionalProperties", "the property \"\(string(key, length))\" is not allowed here")
                valid = false
            } else if !schema.descend(json_object_iter_value(current), &ev, keyword: "additionalProperties",
                                      instanceToken: string(key, length)) {
                valid = false
            }
            if !valid && !ev.collecting { return false }
        }
        return valid
    }

    @inline(__always)
    static func validatePropertyNames(_ schema: Unowned, _ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        var cursor = json_object_iter(instance)
        while let current = cursor {
            cursor = json_object_iter_next(instance, current)
            let name = json_stringn_nocheck(json_object_iter_key(current), json_object_iter_key_len(current))!
            defer { json_decref(name) }
            if !schema.descend(name, &ev, keyword: "propertyNames",
                               instanceToken: string(json_object_iter_key(current)!, json_object_iter_key_len(current))) {
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    @inline(__always)
    static func validateDependentSchemas(_ dependencies: UnsafeBufferPointer<PropertySchema>, _ instance: JSONNode,
                                         _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        for dependency in dependencies where dependency.key.lookup(in: instance) != nil {
            if !dependency.schema.descend(instance, &ev, keyword: "dependentSchemas", token: dependency.key.name) {
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    // MARK: Arrays

    @inline(__always)
    static func validatePrefixItems(_ schemas: UnsafeBufferPointer<Unowned>, _ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY else { return true }
        var valid = true
        for index in 0..<min(schemas.count, json_array_size(instance)) {
            if !schemas[index].descend(json_array_get(instance, index), &ev, keyword: "prefixItems",
                                       token: String(index), instanceToken: String(index)) {
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    @inline(__always)
    static func validateItems(_ schema: Unowned, after: Int, _ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY else { return true }
        let count = json_array_size(instance)
        guard count > after else { return true }
        var valid = true
        for index in after..<count {
            if !schema.descend(json_array_get(instance, index), &ev, keyword: "items", instanceToken: String(index)) {
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    @inline(__always)
    static func validateContains(_ schema: Unowned, min minimum: Int, max maximum: Int, _ instance: JSONNode,
                                 in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY else { return true }
        var matches = 0
        for index in 0..<json_array_size(instance) {
            if ev.quietly({ schema.validate(json_array_get(instance, index), &$0) }) {
                matches += 1
                if maximum == Int.max && matches >= minimum { return true }
            }
        }
        if matches < minimum {
            ev.fail(node, "contains", minimum == 1 ? "no item matches the \"contains\" schema"
                    : "only \(matches) items match the \"contains\" schema, fewer than \(minimum)")
            return false
        }
        if matches > maximum {
            ev.fail(node, "contains", "\(matches) items match the \"contains\" schema, more than \(maximum)")
            return false
        }
        return true
    }

    // MARK: Any instance

    @inline(__always)
    static func validateAllOf(_ schemas: UnsafeBufferPointer<Unowned>, _ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        var valid = true
        for (index, schema) in schemas.enumerated()
        where !schema.descend(instance, &ev, keyword: "allOf", token: String(index)) {
            valid = false
            if !ev.collecting { return false }
        }
        return valid
    }

    @inline(__always)
    static func validateAnyOf(_ schemas: UnsafeBufferPointer<Unowned>, _ instance: JSONNode, in node: SchemaNode,
                              _ ev: inout Evaluation) -> Bool {
        guard ev.collecting else {
            for schema in schemas where schema.validate(instance, &ev) { return true }
            return false
        }
        let mark = ev.errors.count
        for (index, schema) in schemas.enumerated()
        where schema.descend(instance, &ev, keyword: "anyOf", token: String(index)) {
            ev.errors.removeSubrange(mark...)
            return true
        }
        ev.fail(node, "anyOf", "the value matches none of the \(schemas.count) \"anyOf\" schemas")
        return false
    }

    @inline(__always)
    static func validateOneOf(_ schemas: UnsafeBufferPointer<Unowned>, _ instance: JSONNode, in node: SchemaNode,
                              _ ev: inout Evaluation) -> Bool {
        let mark = ev.errors.count
        var matched: [Int] = []
        for (index, schema) in schemas.enumerated()
        where schema.descend(instance, &ev, keyword: "oneOf", token: String(index)) {
            matched.append(index)
            if matched.count > 1 && !ev.collecting { return false }
        }
        if matched.count == 1 {
            if ev.collecting { ev.errors.removeSubrange(mark...) }
            return true
        }
        if matched.isEmpty {
            ev.fail(node, "oneOf", "the value matches none of the \(schemas.count) \"oneOf\" schemas")
        } else {
            if ev.collecting { ev.errors.removeSubrange(mark...) }
            ev.fail(node, "oneOf", "the value matches more than one \"oneOf\" schema (\(matched.map(String.init).joined(separator: ", ")))")
        }
        return false
    }

    @inline(__always)
    static func validateNot(_ schema: Unowned, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard ev.quietly({ schema.validate(instance, &$0) }) else { return true }
        ev.fail(node, "not", "the value must not match the \"not\" schema")
        return false
    }

    @inline(__always)
    static func validateConditional(if condition: Unowned, then: Unowned?, else otherwise: Unowned?, _ instance: JSONNode,
                                    _ ev: inout Evaluation) -> Bool {
        if ev.quietly({ condition.validate(instance, &$0) }) {
            return then?.descend(instance, &ev, keyword: "then") ?? true
        }
        return otherwise?.descend(instance, &ev, keyword: "else") ?? true
    }

    // MARK: References

    @inline(__always)
    static func validateRef(_ target: Unowned, _ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        target.follow(instance, &ev, keyword: "$ref")
    }

    @inline(__always)
    static func validateDynamicRef(_ initial: Unowned, anchor: Unmanaged<Name>?, _ instance: JSONNode,
                                   _ ev: inout Evaluation) -> Bool {
        dynamicTarget(initial, anchor, &ev).follow(instance, &ev, keyword: "$dynamicRef")
    }
}
