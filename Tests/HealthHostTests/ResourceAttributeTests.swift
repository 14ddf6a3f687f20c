import Foundation
import HealthHTTP
import Testing

@testable import HealthHostApp
import HealthJSON

/// OpenTelemetry resource attributes that depend on files and the environment.
@Suite(.timeLimit(.minutes(2))) struct ResourceAttributeTests {
    private let id = String(repeating: "3f9a", count: 16)

    private func reader(_ files: [String: String]) -> ResourceAttributes.FileReader {
        ResourceAttributes.FileReader { files[$0] }
    }

    @Test func containerIDFromCgroupV1DockerAndKubernetes() {
        let docker = "12:memory:/docker/\(id)\n11:cpu:/docker/\(id)\n"
        #expect(ResourceAttributes.containerID(files: reader(["/proc/self/cgroup": docker])) == id)
        let systemd = "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-\(id).scope\n"
        #expect(ResourceAttributes.containerID(files: reader(["/proc/self/cgroup": systemd])) == id)
    }

    @Test func containerIDFromCgroupV2Mountinfo() {
        let mountinfo = """
            1 0 0:1 / / rw - overlay overlay rw
            2 1 8:1 /var/lib/docker/containers/\(id)/hostname /etc/hostname rw - ext4 /dev/sda1 rw
            """
        let files = ["/proc/self/cgroup": "0::/\n", "/proc/self/mountinfo": mountinfo]
        #expect(ResourceAttributes.containerID(files: reader(files)) == id)
        #expect(ResourceAttributes.containerID(files: reader(["/proc/self/cgroup": "0::/user.slice\n"])) == nil)
    }

    @Test func podAndNamespaceOutsideAndInsideKubernetes() {
        let outside = ResourceAttributes.gather(
            serviceName: "s", serviceVersion: "1", hostname: "web-1", environment: [:], files: reader([:]))
        #expect(outside["k8s.pod.name"] == nil)
        #expect(outside["container.id"] == nil)
        let inside = ResourceAttributes.gather(
            serviceName: "s", serviceVersion: "1", hostname: "orders-7d9f-x2x", environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"],
            files: reader(["/var/run/secrets/kubernetes.io/serviceaccount/namespace": "shop\n"]))
        #expect(inside["k8s.pod.name"] == .string("orders-7d9f-x2x"))
        #expect(inside["k8s.namespace.name"] == .string("shop"))
        let named = ResourceAttributes.gather(
            serviceName: "s", serviceVersion: "1", hostname: "h", environment: ["POD_NAME": "p-1", "NODE_NAME": "n-1"],
            files: reader([:]))
        #expect(named["k8s.pod.name"] == .string("p-1"))
        #expect(named["k8s.node.name"] == .string("n-1"))
    }

    @Test func otelResourceAttributesAreParsedButServiceNameComesFromTheHost() {
        let attributes = ResourceAttributes.gather(
            serviceName: "orders", serviceVersion: "1.4.2", hostname: "h",
            environment: ["OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored, team=a%2Cb,broken,=x"], files: reader([:]))
        #expect(attributes["service.name"] == .string("orders"))
        #expect(attributes["team"] == .string("a,b"))
        #expect(attributes["broken"] == nil)
    }
}
