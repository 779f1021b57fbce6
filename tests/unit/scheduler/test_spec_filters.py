"""Filters matching what a flavor or image asks against what a host or its aggregates offer."""

from __future__ import annotations

from dataclasses import replace

from services.scheduler.filters.aggregate_instance_extra_specs_filter import (
    AggregateInstanceExtraSpecsFilter,
)
from services.scheduler.filters.aggregate_multi_tenancy_isolation import (
    AggregateMultiTenancyIsolation,
)
from services.scheduler.filters.compute_capabilities_filter import ComputeCapabilitiesFilter
from services.scheduler.filters.image_properties_filter import ImagePropertiesFilter
from tests.unit.scheduler.cases import CONFIG, HOST, SPEC


def test_capabilities_filter_steps_aside_for_flavors_without_its_specs() -> None:
    f = ComputeCapabilitiesFilter(CONFIG)
    assert not f.applies(SPEC)
    assert not f.applies(replace(SPEC, extra_specs={"hw:cpu_policy": "dedicated"}))


def test_capabilities_filter_passes_a_host_with_the_capability() -> None:
    f = ComputeCapabilitiesFilter(CONFIG)
    assert f.host_passes(HOST, replace(SPEC, extra_specs={"hypervisor_type": "kvm"}))
    spec = replace(SPEC, extra_specs={"capabilities:cpu_info:arch": "x86_64"})
    assert f.host_passes(HOST, spec)


def test_capabilities_filter_applies_operators() -> None:
    f = ComputeCapabilitiesFilter(CONFIG)
    assert f.host_passes(HOST, replace(SPEC, extra_specs={"capabilities:vcpus": ">= 8"}))
    assert not f.host_passes(HOST, replace(SPEC, extra_specs={"capabilities:vcpus": ">= 16"}))


def test_capabilities_filter_fails_a_host_with_another_value() -> None:
    spec = replace(SPEC, extra_specs={"capabilities:hypervisor_type": "qemu"})
    f = ComputeCapabilitiesFilter(CONFIG)
    assert not f.host_passes(HOST, spec)
    assert f.reason(spec) == "lack the capabilities hypervisor_type=qemu"


def test_capabilities_filter_fails_a_host_that_does_not_report_the_capability() -> None:
    spec = replace(SPEC, extra_specs={"capabilities:gpu": "true"})
    assert not ComputeCapabilitiesFilter(CONFIG).host_passes(HOST, spec)


def test_capabilities_filter_ignores_other_scopes() -> None:
    spec = replace(SPEC, extra_specs={"hw:cpu_policy": "dedicated", "quota:cpu_shares": "9"})
    assert ComputeCapabilitiesFilter(CONFIG).host_passes(HOST, spec)


SSD = replace(HOST, aggregate_metadata={"ssd": frozenset({"true"}), "tier": frozenset({"1,2"})})


def test_aggregate_extra_specs_filter_steps_aside_for_flavors_without_its_specs() -> None:
    f = AggregateInstanceExtraSpecsFilter(CONFIG)
    assert not f.applies(SPEC)
    assert not f.applies(replace(SPEC, extra_specs={"capabilities:vcpus": "8"}))


def test_aggregate_extra_specs_filter_passes_a_host_whose_aggregate_matches() -> None:
    f = AggregateInstanceExtraSpecsFilter(CONFIG)
    assert f.host_passes(SSD, replace(SPEC, extra_specs={"ssd": "true"}))
    spec = replace(SPEC, extra_specs={"aggregate_instance_extra_specs:ssd": "true"})
    assert f.host_passes(SSD, spec)


def test_aggregate_extra_specs_filter_reads_comma_separated_values_as_several() -> None:
    spec = replace(SPEC, extra_specs={"aggregate_instance_extra_specs:tier": "2"})
    assert AggregateInstanceExtraSpecsFilter(CONFIG).host_passes(SSD, spec)


def test_aggregate_extra_specs_filter_applies_operators() -> None:
    f = AggregateInstanceExtraSpecsFilter(CONFIG)
    spec = replace(SPEC, extra_specs={"aggregate_instance_extra_specs:tier": "<or> 3 <or> 1"})
    assert f.host_passes(SSD, spec)


def test_aggregate_extra_specs_filter_fails_a_host_in_no_matching_aggregate() -> None:
    spec = replace(SPEC, extra_specs={"aggregate_instance_extra_specs:ssd": "true"})
    f = AggregateInstanceExtraSpecsFilter(CONFIG)
    assert not f.host_passes(HOST, spec)  # in no aggregate at all
    other = replace(HOST, aggregate_metadata={"ssd": frozenset({"false"})})
    assert not f.host_passes(other, spec)
    assert f.reason(spec) == "are in no aggregate whose metadata matches ssd=true"


def test_aggregate_extra_specs_filter_ignores_other_scopes() -> None:
    spec = replace(SPEC, extra_specs={"capabilities:vcpus": "99", "hw:mem_page_size": "large"})
    assert AggregateInstanceExtraSpecsFilter(CONFIG).host_passes(HOST, spec)


TENANT_HOST = replace(
    HOST,
    aggregate_metadata={
        "filter_tenant_id": frozenset({"p1,p2"}),
        "filter_tenant_id_extra": frozenset({"p3"}),
    },
)


def test_multi_tenancy_passes_any_project_on_a_host_that_reserves_nothing() -> None:
    assert AggregateMultiTenancyIsolation(CONFIG).host_passes(HOST, replace(SPEC, project_id="z"))


def test_multi_tenancy_passes_a_project_the_host_is_reserved_for() -> None:
    f = AggregateMultiTenancyIsolation(CONFIG)
    assert f.host_passes(TENANT_HOST, replace(SPEC, project_id="p2"))
    assert f.host_passes(TENANT_HOST, replace(SPEC, project_id="p3"))  # prefixed key


def test_multi_tenancy_fails_other_projects_on_a_reserved_host() -> None:
    f = AggregateMultiTenancyIsolation(CONFIG)
    spec = replace(SPEC, project_id="p9")
    assert not f.host_passes(TENANT_HOST, spec)
    assert f.reason(spec) == "are reserved for projects other than p9"


def test_image_properties_filter_steps_aside_for_images_that_ask_nothing() -> None:
    f = ImagePropertiesFilter(CONFIG)
    assert not f.applies(SPEC)
    assert not f.applies(replace(SPEC, image_properties={"os_distro": "ubuntu"}))
    assert f.host_passes(replace(HOST, supported_instances=frozenset()), SPEC)


def test_image_properties_filter_passes_a_host_supporting_the_image() -> None:
    f = ImagePropertiesFilter(CONFIG)
    spec = replace(SPEC, image_properties={"architecture": "x86_64", "hypervisor_type": "kvm"})
    assert f.host_passes(HOST, spec)
    newer = replace(SPEC, image_properties={"hw_architecture": "amd64", "img_hv_type": "KVM"})
    assert f.host_passes(HOST, newer)  # canonical spellings, any case
    assert f.host_passes(HOST, replace(SPEC, image_properties={"vm_mode": "hvm"}))


def test_image_properties_filter_fails_a_host_of_another_architecture() -> None:
    spec = replace(SPEC, image_properties={"hw_architecture": "aarch64"})
    f = ImagePropertiesFilter(CONFIG)
    assert not f.host_passes(HOST, spec)
    assert "aarch64/*/*" in f.reason(spec)


def test_image_properties_filter_fails_another_hypervisor_or_vm_mode() -> None:
    f = ImagePropertiesFilter(CONFIG)
    assert not f.host_passes(HOST, replace(SPEC, image_properties={"img_hv_type": "xen"}))
    assert not f.host_passes(HOST, replace(SPEC, image_properties={"vm_mode": "exe"}))


def test_image_properties_filter_fails_a_host_advertising_nothing() -> None:
    spec = replace(SPEC, image_properties={"architecture": "x86_64"})
    assert not ImagePropertiesFilter(CONFIG).host_passes(
        replace(HOST, supported_instances=frozenset()), spec
    )


def test_image_properties_filter_reads_an_empty_host_vm_mode_as_hvm() -> None:
    host = replace(HOST, supported_instances=frozenset({"x86_64/kvm/"}))
    f = ImagePropertiesFilter(CONFIG)
    assert f.host_passes(host, replace(SPEC, image_properties={"hw_vm_mode": "hvm"}))
    assert not f.host_passes(host, replace(SPEC, image_properties={"hw_vm_mode": "xen"}))
