import BookshelfJSON
import FoundationEssentials

/// The parts of `contracts/` the gateway serves and routes by: openapi.json exactly as written, and its
/// route table with every schema reference turned into the schema's absolute `$id`.
package struct GatewayContracts: Sendable {
    package let directory: String
    /// The bytes of openapi.json, served unchanged at /apidocs/openapi.json.
    let openAPIBytes: [UInt8]
    package let routes: RouteTable

    package init(directory: String) throws(GatewayError) {
        self.directory = directory
        let path = directory + "/openapi.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewayError(.invalidContract, "cannot read \(path); point --contracts (BOOKSHELF_CONTRACTS) at the contracts folder")
        }
        openAPIBytes = Array(data)
        let document: JSONValue
        do {
            document = try JSONValue(parsing: openAPIBytes)
        } catch {
            throw GatewayError(.invalidContract, "\(path) is not JSON: \(error)")
        }
        var identifiers: [String: String] = [:]
        // Read by the second closure while the first fills it: a reference, so the two never overlap in access.
        final class Loaded { var schemas: [String: JSONValue] = [:] }
        let loaded = Loaded()
        routes = try RouteTable(openAPI: document, resolveSchema: { (reference: String) throws(GatewayError) -> String in
            let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let file = String(parts[0])
            let fragment = parts.count > 1 ? "#" + parts[1] : ""
            if let id = identifiers[file] { return id + fragment }
            guard !file.isEmpty, !file.split(separator: "/").contains("..") else {
                throw GatewayError(.invalidContract, "openapi.json refers to schema '\(reference)' outside the contracts folder")
            }
            let schemaPath = directory + "/" + file
            let schema: JSONValue
            do {
                schema = try JSONValue(contentsOfFile: schemaPath)
            } catch {
                throw GatewayError(.invalidContract, "openapi.json refers to \(schemaPath), which cannot be read as JSON: \(error)")
            }
            guard let id = schema["$id"]?.string else {
                throw GatewayError(.invalidContract, "\(schemaPath) has no $id; every contract schema needs an absolute one")
            }
            identifiers[file] = id
            loaded.schemas[id] = schema
            return id + fragment
        }, schemaType: { id in
            // A fragment here is a JSON pointer (`#/$defs/limit`), as openapi.json writes them.
            let parts = id.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            guard var node = loaded.schemas[String(parts[0])] else { return nil }
            for token in (parts.count > 1 ? parts[1] : "").split(separator: "/") {
                guard let next = node[String(token).replacing("~1", with: "/").replacing("~0", with: "~")] else { return nil }
                node = next
            }
            return node["type"]?.string
        })
    }

    /// A file under contracts/rest, for Swagger UI to resolve openapi.json's relative references.
    func restFile(_ relativePath: String) -> [UInt8]? {
        let parts = relativePath.split(separator: "/")
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }), relativePath.hasSuffix(".json") else {
            return nil
        }
        return FileManager.default.contents(atPath: directory + "/rest/" + parts.joined(separator: "/")).map(Array.init)
    }
}
