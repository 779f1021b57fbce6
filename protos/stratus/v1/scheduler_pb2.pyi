from stratus.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SelectDestinationRequest(_message.Message):
    __slots__ = ("instance_id", "flavor", "image", "ignore_hosts")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    IGNORE_HOSTS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    flavor: _types_pb2.Flavor
    image: _types_pb2.Image
    ignore_hosts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance_id: _Optional[str] = ..., flavor: _Optional[_Union[_types_pb2.Flavor, _Mapping]] = ..., image: _Optional[_Union[_types_pb2.Image, _Mapping]] = ..., ignore_hosts: _Optional[_Iterable[str]] = ...) -> None: ...

class FilterResult(_message.Message):
    __slots__ = ("filter", "hosts_before", "hosts_removed", "reason")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    HOSTS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    HOSTS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    filter: str
    hosts_before: int
    hosts_removed: int
    reason: str
    def __init__(self, filter: _Optional[str] = ..., hosts_before: _Optional[int] = ..., hosts_removed: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class SelectDestinationResponse(_message.Message):
    __slots__ = ("host", "allocation", "filters", "no_valid_host_reason")
    HOST_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    NO_VALID_HOST_REASON_FIELD_NUMBER: _ClassVar[int]
    host: str
    allocation: _types_pb2.Allocation
    filters: _containers.RepeatedCompositeFieldContainer[FilterResult]
    no_valid_host_reason: str
    def __init__(self, host: _Optional[str] = ..., allocation: _Optional[_Union[_types_pb2.Allocation, _Mapping]] = ..., filters: _Optional[_Iterable[_Union[FilterResult, _Mapping]]] = ..., no_valid_host_reason: _Optional[str] = ...) -> None: ...
