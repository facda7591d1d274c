import CJansson

/// The properties that adjacent keywords evaluated, for `unevaluatedProperties`.
struct EvaluatedProperties {
    var all = false
    var names: Set<String> = []
}

/// The items that adjacent keywords evaluated, for `unevaluatedItems`: a prefix, and single
/// indices that `contains` matched.
struct EvaluatedItems {
    var prefix = 0
    var indices: Set<Int> = []
}

extension SchemaNode {
    /// Gathers the property names this schema evaluated in `instance`, following in-place
    /// applicators into subschemas that are valid (failed subschemas keep no annotations).
    /// `asking` is set on the schema whose own `unevaluatedProperties` asks.
    func collectProperties(_ instance: JSONNode, into evaluated: inout EvaluatedProperties, _ ev: inout Evaluation,
                           asking: Bool = false) {
        guard boolean == nil, !evaluated.all else { return }
        let entered = ev.tracksScope && isResourceRoot && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        for keyword in keywords {
            switch keyword {
            case .properties(let properties):
                for property in properties where property.key.lookup(in: instance) != nil {
                    evaluated.names.insert(property.key.name)
                }
            case .objectShape:
                evaluated.all = true
                return
            case .patternProperties(let patterns):
                var cursor = json_object_iter(instance)
                while let current = cursor {
                    cursor = json_object_iter_next(instance, current)
                    let key = json_object_iter_key(current)!
                    let length = json_object_iter_key_len(current)
                    if patterns.contains(where: { $0.regex.takeUnretainedValue().matches(key, length: length) }) {
                        evaluated.names.insert(Keyword.string(key, length))
                    }
                }
            case .unevaluatedProperties where asking:
                continue
            case .additionalProperties, .unevaluatedProperties:
                evaluated.all = true
                return
            case .allOf(let schemas):
                for schema in schemas { schema.node.collectProperties(instance, into: &evaluated, &ev) }
            case .anyOf(let schemas), .oneOf(let schemas):
                for schema in schemas where schema.node.validate(instance, &ev) {
                    schema.node.collectProperties(instance, into: &evaluated, &ev)
                }
            case .conditional(let condition, let then, let otherwise):
                if condition.node.validate(instance, &ev) {
                    condition.node.collectProperties(instance, into: &evaluated, &ev)
                    then?.node.collectProperties(instance, into: &evaluated, &ev)
                } else {
                    otherwise?.node.collectProperties(instance, into: &evaluated, &ev)
                }
            case .dependentSchemas(let dependencies):
                for dependency in dependencies where dependency.key.lookup(in: instance) != nil {
                    dependency.schema.node.collectProperties(instance, into: &evaluated, &ev)
                }
            case .ref(let target):
                target.node.collectReferenced(instance, into: &evaluated, &ev)
            case .dynamicRef(let initial, let anchor):
                Keyword.dynamicTarget(initial, anchor, &ev).collectReferenced(instance, into: &evaluated, &ev)
            default:
                continue
            }
            if evaluated.all { return }
        }
    }

    private func collectReferenced(_ instance: JSONNode, into evaluated: inout EvaluatedProperties, _ ev: inout Evaluation) {
        let entered = ev.tracksScope && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        collectProperties(instance, into: &evaluated, &ev)
    }

    /// Gathers the array items this schema evaluated in `instance`, like `collectProperties`.
    func collectItems(_ instance: JSONNode, into evaluated: inout EvaluatedItems, _ ev: inout Evaluation,
                      asking: Bool = false) {
        guard boolean == nil else { return }
        let entered = ev.tracksScope && isResourceRoot && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        for keyword in keywords {
            switch keyword {
            case .prefixItems(let schemas):
                evaluated.prefix = max(evaluated.prefix, schemas.count)
            case .unevaluatedItems where asking:
                continue
            case .items, .unevaluatedItems:
                evaluated.prefix = Int.max
                return
            case .contains(let schema, _, _):
                for index in 0..<json_array_size(instance) where schema.node.validate(json_array_get(instance, index), &ev) {
                    evaluated.indices.insert(index)
                }
            case .allOf(let schemas):
                for schema in schemas { schema.node.collectItems(instance, into: &evaluated, &ev) }
            case .anyOf(let schemas), .oneOf(let schemas):
                for schema in schemas where schema.node.validate(instance, &ev) {
                    schema.node.collectItems(instance, into: &evaluated, &ev)
                }
            case .conditional(let condition, let then, let otherwise):
                if condition.node.validate(instance, &ev) {
                    condition.node.collectItems(instance, into: &evaluated, &ev)
                    then?.node.collectItems(instance, into: &evaluated, &ev)
                } else {
                    otherwise?.node.collectItems(instance, into: &evaluated, &ev)
                }
            case .dependentSchemas(let dependencies):
                for dependency in dependencies where dependency.key.lookup(in: instance) != nil {
                    dependency.schema.node.collectItems(instance, into: &evaluated, &ev)
                }
            case .ref(let target):
                target.node.collectReferencedItems(instance, into: &evaluated, &ev)
            case .dynamicRef(let initial, let anchor):
                Keyword.dynamicTarget(initial, anchor, &ev).collectReferencedItems(instance, into: &evaluated, &ev)
            default:
                continue
            }
            if evaluated.prefix == Int.max { return }
        }
    }

    private func collectReferencedItems(_ instance: JSONNode, into evaluated: inout EvaluatedItems, _ ev: inout Evaluation) {
        let entered = ev.tracksScope && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        collectItems(instance, into: &evaluated, &ev)
    }
}

extension Keyword {
    /// `$dynamicRef`'s target: the outermost resource in the dynamic scope that declares the
    /// anchor, else the statically resolved schema.
    static func dynamicTarget(_ initial: Unowned, _ anchor: Unmanaged<Name>?, _ ev: inout Evaluation) -> SchemaNode {
        if let anchor, ev.tracksScope {
            let name = anchor.takeUnretainedValue().text
            for resource in ev.scope {
                if let dynamic = resource.dynamicAnchors[name] { return dynamic.node }
            }
        }
        return initial.node
    }
}
