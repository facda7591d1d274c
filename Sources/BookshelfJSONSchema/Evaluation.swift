import BookshelfJSON
import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of one validation: the dynamic scope (for `$dynamicRef`) and, when errors are
/// wanted, the paths that locate them. The fast yes/no path keeps `collecting` false and never
/// touches the paths, so it allocates nothing.
struct Evaluation {
    var collecting: Bool
    let tracksScope: Bool
    var scope: [SchemaResource] = []
    var errors: [ValidationError] = []
    var instancePath: [String] = []
    var keywordPath: [String] = []

    init(collecting: Bool, tracksScope: Bool) {
        self.collecting = collecting
        self.tracksScope = tracksScope
    }

    mutating func fail(_ node: SchemaNode, _ keyword: String, _ message: @autoclosure () -> String) {
        guard collecting else { return }
        let suffix = keyword.isEmpty ? "" : "/" + keyword
        errors.append(ValidationError(
            instanceLocation: instancePath.map { "/" + $0 }.joined(),
            keywordLocation: keywordPath.map { "/" + $0 }.joined() + suffix,
            absoluteKeywordLocation: node.absoluteLocation + suffix,
            message: message()))
    }

    /// Runs `body` with errors switched off (for `not`, `if`, `contains` and the probes of
    /// `anyOf`/`oneOf`, whose failures are not errors in themselves).
    @inline(__always)
    mutating func quietly<R>(_ body: (inout Evaluation) -> R) -> R {
        let saved = collecting
        collecting = false
        defer { collecting = saved }
        return body(&self)
    }
}

extension SchemaNode {
    func validate(_ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        // No subschemas below a string shape, so skipping the dynamic scope changes nothing.
        if let stringShape, stringShape.pointee.accepts(instance) { return true }
        // Its verdict is the keywords' own; it does not enter the dynamic scope, so not when that is tracked.
        if !ev.collecting && !ev.tracksScope, let propertiesShape { return propertiesShape.pointee.verdict(instance, &ev) }
        if let boolean {
            if !boolean { ev.fail(self, "", "no value is allowed here (the schema is false)") }
            return boolean
        }
        let entered = ev.tracksScope && isResourceRoot && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        var valid = true
        for keyword in keywords where !keyword.validate(instance, in: self, &ev) {
            valid = false
            if !ev.collecting { return false }
        }
        return valid
    }

    /// Validates `instance` against this node reached through `keyword` (and `token`, such as a
    /// property name) at `instanceToken` below the current instance location. The tokens are
    /// only built when errors are being collected.
    @inline(__always)
    func descend(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString,
                 token: @autoclosure () -> String? = nil, instanceToken: @autoclosure () -> String? = nil) -> Bool {
        guard ev.collecting else { return validate(instance, &ev) }
        let token = token()
        let instanceToken = instanceToken()
        ev.keywordPath.append(keyword.description)
        if let token { ev.keywordPath.append(JSONPointer.escape(token)) }
        if let instanceToken { ev.instancePath.append(JSONPointer.escape(instanceToken)) }
        defer {
            ev.keywordPath.removeLast(token == nil ? 1 : 2)
            if instanceToken != nil { ev.instancePath.removeLast() }
        }
        return validate(instance, &ev)
    }

    /// Follows a reference: the target's resource joins the dynamic scope.
    @inline(__always)
    func follow(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString) -> Bool {
        let entered = ev.tracksScope && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        return descend(instance, &ev, keyword: keyword)
    }
}

extension Keyword {
    /// One keyword's verdict on `instance`. The switch only hands each keyword's payload to its vocabulary:
    /// Evaluation+Assertions.swift, Evaluation+Applicators.swift, Evaluation+Unevaluated.swift. Those are
    /// `@inline(__always)`, so the keywords run here as one function, with no call per keyword.
    // swiftlint:disable:next cyclomatic_complexity
    func validate(_ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        switch self {
        // Validation vocabulary (assertions).
        case .type(let allowed): Self.validateType(allowed, instance, in: node, &ev)
        case .enumeration(let values, let source): Self.validateEnum(values, source: source, instance, in: node, &ev)
        case .constant(let value): Self.validateConst(value, instance, in: node, &ev)
        case .multipleOf(let divisor): Self.validateMultipleOf(divisor, instance, in: node, &ev)
        case .maximum(let bound): Self.validateMaximum(bound, instance, in: node, &ev)
        case .exclusiveMaximum(let bound): Self.validateExclusiveMaximum(bound, instance, in: node, &ev)
        case .minimum(let bound): Self.validateMinimum(bound, instance, in: node, &ev)
        case .exclusiveMinimum(let bound): Self.validateExclusiveMinimum(bound, instance, in: node, &ev)
        case .maxLength(let limit): Self.validateMaxLength(limit, instance, in: node, &ev)
        case .minLength(let limit): Self.validateMinLength(limit, instance, in: node, &ev)
        case .pattern(let regex): Self.validatePattern(regex, instance, in: node, &ev)
        case .format(let name, let checker): Self.validateFormat(name, checker, instance, in: node, &ev)
        case .maxItems(let limit): Self.validateMaxItems(limit, instance, in: node, &ev)
        case .minItems(let limit): Self.validateMinItems(limit, instance, in: node, &ev)
        case .uniqueItems: Self.validateUniqueItems(instance, in: node, &ev)
        case .maxProperties(let limit): Self.validateMaxProperties(limit, instance, in: node, &ev)
        case .minProperties(let limit): Self.validateMinProperties(limit, instance, in: node, &ev)
        case .required(let keys): Self.validateRequired(keys, instance, in: node, &ev)
        case .dependentRequired(let dependencies): Self.validateDependentRequired(dependencies, instance, in: node, &ev)

        // Applicator vocabulary, and the core's references.
        case .properties(let properties): Self.validateProperties(properties, instance, &ev)
        case .objectShape(let properties, let additional, let required):
            Self.validateObjectShape(properties, additional: additional, required: required, instance, in: node, &ev)
        case .patternProperties(let patterns): Self.validatePatternProperties(patterns, instance, &ev)
        case .additionalProperties(let schema, let properties, let patterns):
            Self.validateAdditionalProperties(schema, properties: properties, patterns: patterns, instance, in: node, &ev)
        case .propertyNames(let schema): Self.validatePropertyNames(schema, instance, &ev)
        case .dependentSchemas(let dependencies): Self.validateDependentSchemas(dependencies, instance, &ev)
        case .prefixItems(let schemas): Self.validatePrefixItems(schemas, instance, &ev)
        case .items(let schema, let after): Self.validateItems(schema, after: after, instance, &ev)
        case .contains(let schema, let minimum, let maximum):
            Self.validateContains(schema, min: minimum, max: maximum, instance, in: node, &ev)
        case .allOf(let schemas): Self.validateAllOf(schemas, instance, &ev)
        case .anyOf(let schemas): Self.validateAnyOf(schemas, instance, in: node, &ev)
        case .oneOf(let schemas): Self.validateOneOf(schemas, instance, in: node, &ev)
        case .not(let schema): Self.validateNot(schema, instance, in: node, &ev)
        case .conditional(let condition, let then, let otherwise):
            Self.validateConditional(if: condition, then: then, else: otherwise, instance, &ev)
        case .ref(let target): Self.validateRef(target, instance, &ev)
        case .dynamicRef(let initial, let anchor): Self.validateDynamicRef(initial, anchor: anchor, instance, &ev)

        // Unevaluated vocabulary.
        case .unevaluatedProperties(let schema): Self.validateUnevaluatedProperties(schema, instance, in: node, &ev)
        case .unevaluatedItems(let schema): Self.validateUnevaluatedItems(schema, instance, in: node, &ev)
        }
    }

    static func string(_ bytes: UnsafePointer<CChar>, _ length: Int) -> String {
        bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
