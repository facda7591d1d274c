import BookshelfServiceKit
import FoundationEssentials
import Glibc

/// Swagger UI's script and stylesheet, served by the gateway itself so that `/apidocs/index.html` works
/// without the internet (offline, or in a cluster without egress). They come from a pinned distribution that
/// the build installs and nobody commits: the `swagger-ui-dist` folder of PyPI's `drf-spectacular-sidecar`
/// (requirements-swagger-ui.txt), which `make setup` puts in .venv and the Dockerfile in `imageDirectory`.
///
/// One setting, first match wins: `--swagger-ui-dir DIR`, the app's `<PREFIX>_SWAGGER_UI_DIR` (Bookshelf's
/// `BOOKSHELF_SWAGGER_UI_DIR`), then the sidecar's folder in a `.venv` of the working directory or one of its
/// parents, then `imageDirectory`.
package struct SwaggerUIAssets: Sendable {
    /// The setting's name under the app's prefix.
    static let setting = "SWAGGER_UI_DIR"
    /// Where the Docker image copies the distribution.
    package static let imageDirectory = "/usr/local/share/bookshelf/swagger-ui-dist"
    /// The distribution inside a virtual environment's site-packages.
    static let sidecarFolder = "drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist"
    /// The URL path the files are served under.
    static let urlPrefix = "/apidocs/swagger-ui/"

    package struct File: Sendable, Equatable {
        package var name: String
        package var contentType: String
        package var path: String
        /// Size and modification time: a new distribution gets a new tag, so browsers revalidate and refetch.
        var entityTag: String

        var urlPath: String { SwaggerUIAssets.urlPrefix + name }
    }

    /// The only files the page needs; nothing else of the folder is served. The bundle is not ASCII, so
    /// its charset is named, or a browser may decode it as Latin-1.
    static let needed: [(name: String, contentType: String)] = [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
    ]

    /// The folder in use, nil when no folder has every needed file.
    package let directory: String?
    /// The needed files, empty when `directory` is nil.
    package let files: [File]
    /// The folders looked at, in order, for the message when none had the files.
    package let searched: [String]
    /// The environment variable that names the folder, for the message; nil when no settings were read.
    let variable: String?

    package var isAvailable: Bool { directory != nil }

    /// No distribution: the page says how to install one.
    package static let notInstalled = SwaggerUIAssets(directory: nil, files: [], searched: [], variable: nil)

    /// Looks for the distribution; never throws, since the API works without its documentation page.
    package static func locate(
        flag: String?,
        settings: Settings,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) -> SwaggerUIAssets {
        let variable = settings.variable(setting)
        let candidates: [String]
        if let given = settings.text(setting, flag: flag?.isEmpty == false ? flag : nil) {
            candidates = [given]
        } else {
            candidates = virtualEnvironmentCandidates(from: workingDirectory) + [imageDirectory]
        }
        for candidate in candidates {
            if let files = files(in: candidate) {
                return SwaggerUIAssets(directory: candidate, files: files, searched: candidates, variable: variable)
            }
        }
        return SwaggerUIAssets(directory: nil, files: [], searched: candidates, variable: variable)
    }

    /// Every `.venv/lib/python3.*/site-packages/<sidecar>` from the working directory up to the root.
    static func virtualEnvironmentCandidates(from workingDirectory: String) -> [String] {
        var found: [String] = []
        var directory = URL(fileURLWithPath: workingDirectory).standardizedFileURL
        while true {
            let lib = directory.appendingPathComponent(".venv/lib").path
            let pythons = ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []).filter { $0.hasPrefix("python3") }.sorted()
            found += pythons.map { "\(lib)/\($0)/site-packages/\(sidecarFolder)" }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return found
    }

    /// The needed files of `directory`, or nil when one is missing or empty.
    static func files(in directory: String) -> [File]? {
        var files: [File] = []
        for (name, contentType) in needed {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size > 0 else { return nil }
            let size = Int(status.st_size)
            let modified = Int(status.st_mtim.tv_sec)
            files.append(File(name: name, contentType: contentType, path: path, entityTag: "\"\(size)-\(modified)\""))
        }
        return files
    }

    /// What a person can do about missing files, for the page and the start-up log.
    var missingAdvice: String {
        "Swagger UI's files (\(Self.needed.map(\.name).joined(separator: ", "))) were not found"
            + (searched.isEmpty ? "" : " in " + searched.joined(separator: ", "))
            + ". Run `make setup` (it installs drf-spectacular-sidecar into .venv), or pass --swagger-ui-dir DIR"
            + (variable.map { " or set \($0)" } ?? "") + " to a swagger-ui-dist folder."
    }
}
