"""Nova's extra-spec operators: the value on the host against the flavor's requirement."""

from __future__ import annotations

import pytest

from services.scheduler.filters.extra_specs_ops import match, requirements

CASES = [
    # (host value, requirement, matches)
    ("kvm", "kvm", True),  # no operator: plain equality
    ("kvm", "qemu", False),
    ("4", "= 4", True),  # "=" means at least
    ("8", "= 4", True),
    ("2", "= 4", False),
    ("4", "== 4", True),
    ("4.0", "== 4", True),
    ("8", "== 4", False),
    ("8", "!= 4", True),
    ("4", "!= 4", False),
    ("8", ">= 4", True),
    ("3", ">= 4", False),
    ("3", "<= 4", True),
    ("5", "<= 4", False),
    ("abc", "= 4", False),  # numeric operator on a non-number: no match, no error
    ("kvm", "s== kvm", True),
    ("qemu", "s== kvm", False),
    ("qemu", "s!= kvm", True),
    ("kvm", "s!= kvm", False),
    ("abc", "s< abd", True),
    ("abd", "s< abc", False),
    ("abc", "s<= abc", True),
    ("abd", "s<= abc", False),
    ("abd", "s> abc", True),
    ("abc", "s> abd", False),
    ("abc", "s>= abc", True),
    ("abb", "s>= abc", False),
    ("avx avx2 sse4", "<in> avx2", True),
    ("avx sse4", "<in> avx2", False),
    ("avx avx2 sse4", "<all-in> avx sse4", True),
    ("avx sse4", "<all-in> avx avx2", False),
    ("kvm", "<or> qemu <or> kvm", True),
    ("xen", "<or> qemu <or> kvm", False),
    ("kvm", "<or> kvm", True),
    (None, "kvm", False),  # the host has no such value
    (None, "= 1", False),
    (None, "<or> a <or> b", False),
    ("4", "==", False),  # an operator with nothing to compare
]


@pytest.mark.parametrize(("value", "requirement", "expected"), CASES)
def test_operator(value: str | None, requirement: str, expected: bool) -> None:
    assert match(value, requirement) is expected


def test_requirements_keep_unscoped_and_own_scope_and_skip_other_scopes() -> None:
    specs = {
        "hypervisor_type": "kvm",
        "capabilities:vcpus": "= 8",
        "hw:cpu_policy": "dedicated",
        "quota:disk_read_bytes_sec": "1000",
        "aggregate_instance_extra_specs:ssd": "true",
    }
    assert sorted(requirements(specs, "capabilities")) == [
        ("hypervisor_type", "kvm"),
        ("vcpus", "= 8"),
    ]
    assert sorted(requirements(specs, "aggregate_instance_extra_specs")) == [
        ("hypervisor_type", "kvm"),
        ("ssd", "true"),
    ]


def test_a_scoped_key_may_itself_contain_colons() -> None:
    assert list(requirements({"capabilities:cpu_info:arch": "x86_64"}, "capabilities")) == [
        ("cpu_info:arch", "x86_64")
    ]
