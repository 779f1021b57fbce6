from stratus.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SelectDestinationRequest(_message.Message):
    __slots__ = ("instance_id", "flavor", "image", "ignore_hosts", "project_id", "availability_zone", "hints", "num_alternates", "only_hosts", "group", "group_hosts", "same_host_hosts", "different_host_hosts")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    IGNORE_HOSTS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    HINTS_FIELD_NUMBER: _ClassVar[int]
    NUM_ALTERNATES_FIELD_NUMBER: _ClassVar[int]
    ONLY_HOSTS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    GROUP_HOSTS_FIELD_NUMBER: _ClassVar[int]
    SAME_HOST_HOSTS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENT_HOST_HOSTS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    flavor: _types_pb2.Flavor
    image: _types_pb2.Image
    ignore_hosts: _containers.RepeatedScalarFieldContainer[str]
    project_id: str
    availability_zone: str
    hints: _types_pb2.SchedulerHints
    num_alternates: int
    only_hosts: _containers.RepeatedScalarFieldContainer[str]
    group: _types_pb2.ServerGroup
    group_hosts: _containers.RepeatedScalarFieldContainer[str]
    same_host_hosts: _containers.RepeatedScalarFieldContainer[str]
    different_host_hosts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance_id: _Optional[str] = ..., flavor: _Optional[_Union[_types_pb2.Flavor, _Mapping]] = ..., image: _Optional[_Union[_types_pb2.Image, _Mapping]] = ..., ignore_hosts: _Optional[_Iterable[str]] = ..., project_id: _Optional[str] = ..., availability_zone: _Optional[str] = ..., hints: _Optional[_Union[_types_pb2.SchedulerHints, _Mapping]] = ..., num_alternates: _Optional[int] = ..., only_hosts: _Optional[_Iterable[str]] = ..., group: _Optional[_Union[_types_pb2.ServerGroup, _Mapping]] = ..., group_hosts: _Optional[_Iterable[str]] = ..., same_host_hosts: _Optional[_Iterable[str]] = ..., different_host_hosts: _Optional[_Iterable[str]] = ...) -> None: ...

class WeighedHost(_message.Message):
    __slots__ = ("host", "weight", "parts")
    class PartsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    HOST_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    host: str
    weight: float
    parts: _containers.ScalarMap[str, float]
    def __init__(self, host: _Optional[str] = ..., weight: _Optional[float] = ..., parts: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("hosts_total", "filters", "weighed", "no_valid_host_reason")
    HOSTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    WEIGHED_FIELD_NUMBER: _ClassVar[int]
    NO_VALID_HOST_REASON_FIELD_NUMBER: _ClassVar[int]
    hosts_total: int
    filters: _containers.RepeatedCompositeFieldContainer[FilterResult]
    weighed: _containers.RepeatedCompositeFieldContainer[WeighedHost]
    no_valid_host_reason: str
    def __init__(self, hosts_total: _Optional[int] = ..., filters: _Optional[_Iterable[_Union[FilterResult, _Mapping]]] = ..., weighed: _Optional[_Iterable[_Union[WeighedHost, _Mapping]]] = ..., no_valid_host_reason: _Optional[str] = ...) -> None: ...

class FilterResult(_message.Message):
    __slots__ = ("filter", "hosts_before", "hosts_removed", "reason", "hosts_left_sample")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    HOSTS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    HOSTS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HOSTS_LEFT_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    filter: str
    hosts_before: int
    hosts_removed: int
    reason: str
    hosts_left_sample: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, filter: _Optional[str] = ..., hosts_before: _Optional[int] = ..., hosts_removed: _Optional[int] = ..., reason: _Optional[str] = ..., hosts_left_sample: _Optional[_Iterable[str]] = ...) -> None: ...

class SelectDestinationResponse(_message.Message):
    __slots__ = ("host", "allocation", "filters", "no_valid_host_reason", "alternates")
    HOST_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    NO_VALID_HOST_REASON_FIELD_NUMBER: _ClassVar[int]
    ALTERNATES_FIELD_NUMBER: _ClassVar[int]
    host: str
    allocation: _types_pb2.Allocation
    filters: _containers.RepeatedCompositeFieldContainer[FilterResult]
    no_valid_host_reason: str
    alternates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, host: _Optional[str] = ..., allocation: _Optional[_Union[_types_pb2.Allocation, _Mapping]] = ..., filters: _Optional[_Iterable[_Union[FilterResult, _Mapping]]] = ..., no_valid_host_reason: _Optional[str] = ..., alternates: _Optional[_Iterable[str]] = ...) -> None: ...
