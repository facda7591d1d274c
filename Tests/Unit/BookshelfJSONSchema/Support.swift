import BookshelfJSON
import Foundation
import BookshelfJSONSchema
import Testing

/// A registry with the 2020-12 metaschemas from PyPI's jsonschema-specifications (installed by
/// `make setup` into .venv, or named by $BOOKSHELF_METASCHEMAS).
func metaschemaRegistry() throws -> SchemaRegistry {
    let directory = JSONSchemaMetaschemas.directory
    var registry = SchemaRegistry()
    try registry.registerMetaschemas(from: directory)
    return registry
}

let packageRoot: String = {
    var path = #filePath
    for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
}()

func schema(_ text: String, registry: SchemaRegistry = SchemaRegistry(),
            options: ValidationOptions = ValidationOptions()) throws -> JSONSchema {
    try registry.compile(JSONValue(parsing: text), options: options)
}

extension JSONSchema {
    func accepts(_ text: String) throws -> Bool {
        let instance = try JSONValue(parsing: text)
        let fast = isValid(instance)
        // Both paths must agree: the error-collecting one is used for reports.
        #expect(fast == validate(instance).isValid, "isValid and validate disagree on \(text)")
        return fast
    }
}

enum JSONSchemaMetaschemas {
    /// Without the metaschemas the run stops at the first test that needs them, with one message, rather
    /// than failing each such test with the same cause.
    static let directory: String = {
        guard let directory = SchemaRegistry.defaultMetaschemaDirectory(executablePath: packageRoot + "/.build/debug/bookshelf") else {
            FileHandle.standardError.write(Data(missingMetaschemasMessage.utf8))
            exit(2)
        }
        return directory
    }()
}

let missingMetaschemasMessage = """
    error: the JSON Schema draft 2020-12 metaschemas are not installed, so these tests cannot run.
    Run `make setup` first (it installs PyPI's jsonschema-specifications into .venv), or set BOOKSHELF_METASCHEMAS
    to a folder that holds them. Stopping the test run.

    """
