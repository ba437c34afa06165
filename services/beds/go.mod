module carecoord/services/beds

go 1.26.0
