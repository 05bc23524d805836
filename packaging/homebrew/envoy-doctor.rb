# The Homebrew formula of envoy-doctor: the single-file executable, and kubectl-envoy_doctor beside it so that
# `kubectl envoy-doctor ...` runs it. `npm run build:sea` renders it for the release it builds into
# dist-sea/envoy-doctor.rb, the {{...}} fields filled with the version, the repository and the sha256 of the release
# archive; that file is what goes to the tap. Releases are built for Linux on amd64 only (docs/install.md).
class EnvoyDoctor < Formula
  desc "Name the root cause of Envoy proxy troubles, with the evidence and the config fix"
  homepage "{{repository}}"
  version "{{version}}"
  license "Apache-2.0"

  on_linux do
    on_intel do
      url "{{repository}}/releases/download/v{{version}}/envoy-doctor-{{version}}-linux-amd64.tar.gz"
      sha256 "{{sha256 linux-amd64}}"
    end
  end

  def install
    bin.install "envoy-doctor"
    bin.install_symlink "envoy-doctor" => "kubectl-envoy_doctor"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/envoy-doctor --version")
    assert_match "flow-control-stall", shell_output("#{bin}/envoy-doctor list")
  end
end
