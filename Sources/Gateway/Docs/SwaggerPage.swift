/// The Swagger UI page for the contract. Its script and stylesheet come from the gateway itself
/// (`SwaggerUIAssets`), never from a CDN, so the page renders wherever the gateway can be reached.
enum SwaggerPage {
    /// The page, or, when Swagger UI's files are missing, a page that says so and what to do.
    static func html(_ assets: SwaggerUIAssets) -> String {
        guard assets.isAvailable else { return missing(assets) }
        let stylesheet = assets.files.first { $0.name.hasSuffix(".css") }?.urlPath ?? ""
        let script = assets.files.first { $0.name.hasSuffix(".js") }?.urlPath ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Bookshelf API</title>
              <link rel="stylesheet" href="\(stylesheet)">
            </head>
            <body>
              <div id="swagger-ui"></div>
              <script src="\(script)"></script>
              <script>
                window.onload = function () {
                  window.ui = SwaggerUIBundle({
                    url: "/apidocs/openapi.json",
                    dom_id: "#swagger-ui",
                    deepLinking: true,
                    presets: [SwaggerUIBundle.presets.apis],
                    layout: "BaseLayout"
                  });
                };
              </script>
            </body>
            </html>

            """
    }

    static func missing(_ assets: SwaggerUIAssets) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Bookshelf API: Swagger UI is not installed</title>
        </head>
        <body>
          <h1>Swagger UI is not installed on this gateway</h1>
          <p>\(escaped(assets.missingAdvice))</p>
          <p>The API's description is still served: <a href="/apidocs/openapi.json">/apidocs/openapi.json</a>.</p>
        </body>
        </html>

        """
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
