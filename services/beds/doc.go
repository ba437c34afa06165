// Package beds is the beds service of carecoord. Its domain, commands, read
// models and GraphQL subgraph are built on pkg/eventstore and pkg/eventbus;
// until they land, the module holds only this package so that the workspace
// builds and tests as one.
package beds
