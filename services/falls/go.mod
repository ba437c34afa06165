module carecoord/services/falls

go 1.26.0
