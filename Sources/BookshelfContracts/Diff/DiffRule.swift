/// The checks of `contracts diff`, by stable id (docs/contracts-tooling.md has the table).
public enum DiffRule: String, Sendable, Hashable, CaseIterable {
    /// A released event version file (`events/<type>/v<N>.schema.json`) was edited: versions are frozen.
    case versionFileChanged = "version-file-changed"
    /// A released event version file was deleted: events written with it can no longer be read.
    case versionFileRemoved = "version-file-removed"
    /// A new event version is not compatible with an earlier one under the folder's mode.
    case versionIncompatible = "version-incompatible"
    /// A new event version, compatible with the earlier ones (a notice).
    case versionAdded = "version-added"
    /// A schema that is not a versioned event schema (the envelope, dead-letter headers) changed
    /// in a way the folder's mode forbids.
    case schemaIncompatible = "schema-incompatible"
    /// A schema file other than an event version was deleted.
    case schemaRemoved = "schema-removed"
    /// `openapi.json` or `asyncapi.json` was deleted.
    case documentRemoved = "document-removed"
    /// An OpenAPI operation (method and path) is gone.
    case operationRemoved = "operation-removed"
    /// A response status of an operation is gone.
    case responseRemoved = "response-removed"
    /// A field of a response body is gone: clients that read it break.
    case responseFieldRemoved = "response-field-removed"
    /// A response field that was always present may now be missing.
    case responseFieldOptional = "response-field-optional"
    /// A response field may now have a type clients did not expect.
    case responseTypeChanged = "response-type-changed"
    /// A request field is newly required: requests that worked are now refused.
    case requestFieldRequired = "request-field-required"
    /// A request field accepts fewer types than before.
    case requestTypeNarrowed = "request-type-narrowed"
    case asyncapiChannelRemoved = "asyncapi-channel-removed"
    /// A channel's address (the topic) changed.
    case asyncapiChannelAddressChanged = "asyncapi-channel-address-changed"
    case asyncapiMessageRemoved = "asyncapi-message-removed"
    case asyncapiHeaderRemoved = "asyncapi-header-removed"
    /// A message's Kafka key schema (`bindings.kafka.key`) changed.
    case asyncapiKeyChanged = "asyncapi-key-changed"
    /// Something new that breaks nothing: an operation, a channel, a message, a schema (a notice).
    case added = "added"

    /// False for the notices, which never fail the gate.
    public var isBreaking: Bool { self != .versionAdded && self != .added }
}
