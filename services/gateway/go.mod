module carecoord/services/gateway

go 1.26.0
