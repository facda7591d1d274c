/// The Swagger UI page for the contract. Swagger UI itself comes from a CDN, as FastAPI serves it, so the
/// gateway ships no JavaScript; the page only needs network access in the reader's browser.
enum SwaggerPage {
    static let version = "5.17.14"

    static let html: String = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Bookshelf API</title>
          <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@\(version)/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@\(version)/swagger-ui-bundle.js" crossorigin="anonymous"></script>
          <script>
            window.onload = function () {
              window.ui = SwaggerUIBundle({
                url: "/apidocs/openapi.json",
                dom_id: "#swagger-ui",
                deepLinking: true,
                presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
                layout: "BaseLayout"
              });
            };
          </script>
        </body>
        </html>

        """
}
