// Command gen writes the same layered dependency graph twice: as a Gantry
// blueprint folder and as a Terraform configuration, for the side-by-side
// benchmark bench/vs-terraform.sh.
//
// The graph has L layers (default 10) of N/L nodes each. In shape "one" node
// i of a layer depends on node i of the previous layer; in shape "all" it
// depends on F nodes (default 10) of the previous layer, chosen
// deterministically as the window i, i+1, ..., i+F-1 (mod the layer width),
// so every node of a layer has the same number of dependents.
//
// Every node's only work is running `true`: in Gantry a create operation
// (scripts/true.sh, executor central_deployment_agent) and depends_on
// relationships; in Terraform a terraform_data resource with a local-exec
// provisioner and depends_on edges.
//
//	go run ./bench/gen -n 1000 -shape all -gantry /tmp/b/g -terraform /tmp/b/tf
package main
