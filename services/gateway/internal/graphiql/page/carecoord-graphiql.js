// carecoord's GraphiQL page (see the Go package graphiql): GraphiQL over the
// GraphQL endpoint that served this page. Queries and mutations go over HTTP
// with the headers of GraphiQL's headers editor; a subscription goes over
// WebSocket (graphql-transport-ws), and GraphiQL's fetcher sends the same
// headers as the connection_init payload, where carecoord reads
// {"Authorization": "Bearer ..."}.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('carecoord-graphiql-config').textContent);

  // The page is served at the endpoint itself, so its own address is the
  // endpoint's, wherever a proxy mounts it.
  var url = location.origin + location.pathname;
  var subscriptionUrl = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + location.pathname;
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: subscriptionUrl });

  // An Authorization that still holds the placeholder is left out, so that
  // the schema (and with it the docs and completion) loads before a token
  // is pasted, and the first query says it needs one.
  function withoutPlaceholder(headers) {
    if (!headers || typeof headers !== 'object') {
      return headers;
    }
    var out = {};
    Object.keys(headers).forEach(function (k) {
      var v = headers[k];
      if (k.toLowerCase() === 'authorization' && typeof v === 'string' && v.indexOf(config.tokenPlaceholder) >= 0) {
        return;
      }
      out[k] = v;
    });
    return out;
  }

  function carecoordFetcher(params, opts) {
    var o = Object.assign({}, opts);
    o.headers = withoutPlaceholder(o.headers);
    return fetcher(params, o);
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: carecoordFetcher,
    defaultQuery: config.defaultQuery,
    defaultHeaders: config.defaultHeaders,
    // Open on the headers, where the token goes.
    defaultEditorToolsVisibility: 'headers',
    // Tokens stay out of the browser's storage.
    shouldPersistHeaders: false,
  }));
})();
