import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stratus.v1 import scheduler_pb2 as _scheduler_pb2
from stratus.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateServersRequest(_message.Message):
    __slots__ = ("name", "flavor_ref", "image_ref", "min_count", "max_count", "metadata", "availability_zone", "hints", "description", "tags", "hostname", "without_network", "user_data")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_REF_FIELD_NUMBER: _ClassVar[int]
    IMAGE_REF_FIELD_NUMBER: _ClassVar[int]
    MIN_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    HINTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_NETWORK_FIELD_NUMBER: _ClassVar[int]
    USER_DATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    flavor_ref: str
    image_ref: str
    min_count: int
    max_count: int
    metadata: _containers.ScalarMap[str, str]
    availability_zone: str
    hints: _types_pb2.SchedulerHints
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    hostname: str
    without_network: bool
    user_data: str
    def __init__(self, name: _Optional[str] = ..., flavor_ref: _Optional[str] = ..., image_ref: _Optional[str] = ..., min_count: _Optional[int] = ..., max_count: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., availability_zone: _Optional[str] = ..., hints: _Optional[_Union[_types_pb2.SchedulerHints, _Mapping]] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., hostname: _Optional[str] = ..., without_network: _Optional[bool] = ..., user_data: _Optional[str] = ...) -> None: ...

class CreateServersResponse(_message.Message):
    __slots__ = ("reservation_id", "servers")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    servers: _containers.RepeatedCompositeFieldContainer[_types_pb2.Instance]
    def __init__(self, reservation_id: _Optional[str] = ..., servers: _Optional[_Iterable[_Union[_types_pb2.Instance, _Mapping]]] = ...) -> None: ...

class GetServerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListServersRequest(_message.Message):
    __slots__ = ("name", "status", "host", "limit", "marker", "changes_since", "all_projects", "changes_before", "tags", "tags_any", "not_tags", "not_tags_any", "image", "flavor", "ip", "reservation_id", "user_id", "project_id", "availability_zone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MARKER_FIELD_NUMBER: _ClassVar[int]
    CHANGES_SINCE_FIELD_NUMBER: _ClassVar[int]
    ALL_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_ANY_FIELD_NUMBER: _ClassVar[int]
    NOT_TAGS_FIELD_NUMBER: _ClassVar[int]
    NOT_TAGS_ANY_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: str
    host: str
    limit: int
    marker: str
    changes_since: _timestamp_pb2.Timestamp
    all_projects: bool
    changes_before: _timestamp_pb2.Timestamp
    tags: _containers.RepeatedScalarFieldContainer[str]
    tags_any: _containers.RepeatedScalarFieldContainer[str]
    not_tags: _containers.RepeatedScalarFieldContainer[str]
    not_tags_any: _containers.RepeatedScalarFieldContainer[str]
    image: str
    flavor: str
    ip: str
    reservation_id: str
    user_id: str
    project_id: str
    availability_zone: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[str] = ..., host: _Optional[str] = ..., limit: _Optional[int] = ..., marker: _Optional[str] = ..., changes_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., all_projects: _Optional[bool] = ..., changes_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., tags_any: _Optional[_Iterable[str]] = ..., not_tags: _Optional[_Iterable[str]] = ..., not_tags_any: _Optional[_Iterable[str]] = ..., image: _Optional[str] = ..., flavor: _Optional[str] = ..., ip: _Optional[str] = ..., reservation_id: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., availability_zone: _Optional[str] = ...) -> None: ...

class ListServersResponse(_message.Message):
    __slots__ = ("servers", "next_marker")
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_MARKER_FIELD_NUMBER: _ClassVar[int]
    servers: _containers.RepeatedCompositeFieldContainer[_types_pb2.Instance]
    next_marker: str
    def __init__(self, servers: _Optional[_Iterable[_Union[_types_pb2.Instance, _Mapping]]] = ..., next_marker: _Optional[str] = ...) -> None: ...

class DeleteServerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteServerResponse(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class ServerActionRequest(_message.Message):
    __slots__ = ("id", "action", "reboot_type")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REBOOT_TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    action: str
    reboot_type: str
    def __init__(self, id: _Optional[str] = ..., action: _Optional[str] = ..., reboot_type: _Optional[str] = ...) -> None: ...

class ServerActionResponse(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class ListInstanceActionsRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListInstanceActionsResponse(_message.Message):
    __slots__ = ("actions",)
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[_types_pb2.InstanceAction]
    def __init__(self, actions: _Optional[_Iterable[_Union[_types_pb2.InstanceAction, _Mapping]]] = ...) -> None: ...

class WatchServersRequest(_message.Message):
    __slots__ = ("from_revision", "all_projects")
    FROM_REVISION_FIELD_NUMBER: _ClassVar[int]
    ALL_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    from_revision: int
    all_projects: bool
    def __init__(self, from_revision: _Optional[int] = ..., all_projects: _Optional[bool] = ...) -> None: ...

class ServerEvent(_message.Message):
    __slots__ = ("type", "server", "revision")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[ServerEvent.Type]
        TYPE_EXISTING: _ClassVar[ServerEvent.Type]
        TYPE_CHANGED: _ClassVar[ServerEvent.Type]
        TYPE_DELETED: _ClassVar[ServerEvent.Type]
    TYPE_UNSPECIFIED: ServerEvent.Type
    TYPE_EXISTING: ServerEvent.Type
    TYPE_CHANGED: ServerEvent.Type
    TYPE_DELETED: ServerEvent.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    type: ServerEvent.Type
    server: _types_pb2.Instance
    revision: int
    def __init__(self, type: _Optional[_Union[ServerEvent.Type, str]] = ..., server: _Optional[_Union[_types_pb2.Instance, _Mapping]] = ..., revision: _Optional[int] = ...) -> None: ...

class ListFlavorsRequest(_message.Message):
    __slots__ = ("is_public",)
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    is_public: str
    def __init__(self, is_public: _Optional[str] = ...) -> None: ...

class ListFlavorsResponse(_message.Message):
    __slots__ = ("flavors",)
    FLAVORS_FIELD_NUMBER: _ClassVar[int]
    flavors: _containers.RepeatedCompositeFieldContainer[_types_pb2.Flavor]
    def __init__(self, flavors: _Optional[_Iterable[_Union[_types_pb2.Flavor, _Mapping]]] = ...) -> None: ...

class GetFlavorRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CreateFlavorRequest(_message.Message):
    __slots__ = ("flavor",)
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    flavor: _types_pb2.Flavor
    def __init__(self, flavor: _Optional[_Union[_types_pb2.Flavor, _Mapping]] = ...) -> None: ...

class ListImagesRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListImagesResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_types_pb2.Image]
    def __init__(self, images: _Optional[_Iterable[_Union[_types_pb2.Image, _Mapping]]] = ...) -> None: ...

class GetImageRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CreateImageRequest(_message.Message):
    __slots__ = ("image",)
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: _types_pb2.Image
    def __init__(self, image: _Optional[_Union[_types_pb2.Image, _Mapping]] = ...) -> None: ...

class ListHostsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HostView(_message.Message):
    __slots__ = ("host", "up", "usage")
    HOST_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    host: _types_pb2.Host
    up: bool
    usage: _types_pb2.HostUsage
    def __init__(self, host: _Optional[_Union[_types_pb2.Host, _Mapping]] = ..., up: _Optional[bool] = ..., usage: _Optional[_Union[_types_pb2.HostUsage, _Mapping]] = ...) -> None: ...

class ListHostsResponse(_message.Message):
    __slots__ = ("hosts",)
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    hosts: _containers.RepeatedCompositeFieldContainer[HostView]
    def __init__(self, hosts: _Optional[_Iterable[_Union[HostView, _Mapping]]] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServiceView(_message.Message):
    __slots__ = ("service", "up")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    service: _types_pb2.ServiceRecord
    up: bool
    def __init__(self, service: _Optional[_Union[_types_pb2.ServiceRecord, _Mapping]] = ..., up: _Optional[bool] = ...) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("services",)
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[ServiceView]
    def __init__(self, services: _Optional[_Iterable[_Union[ServiceView, _Mapping]]] = ...) -> None: ...

class SetFlavorExtraSpecsRequest(_message.Message):
    __slots__ = ("flavor_id", "extra_specs")
    class ExtraSpecsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FLAVOR_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_SPECS_FIELD_NUMBER: _ClassVar[int]
    flavor_id: str
    extra_specs: _containers.ScalarMap[str, str]
    def __init__(self, flavor_id: _Optional[str] = ..., extra_specs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeleteFlavorExtraSpecRequest(_message.Message):
    __slots__ = ("flavor_id", "key")
    FLAVOR_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    flavor_id: str
    key: str
    def __init__(self, flavor_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class FlavorAccess(_message.Message):
    __slots__ = ("flavor_id", "project_id")
    FLAVOR_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    flavor_id: str
    project_id: str
    def __init__(self, flavor_id: _Optional[str] = ..., project_id: _Optional[str] = ...) -> None: ...

class ListFlavorAccessRequest(_message.Message):
    __slots__ = ("flavor_id",)
    FLAVOR_ID_FIELD_NUMBER: _ClassVar[int]
    flavor_id: str
    def __init__(self, flavor_id: _Optional[str] = ...) -> None: ...

class FlavorAccessRequest(_message.Message):
    __slots__ = ("flavor_id", "project_id")
    FLAVOR_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    flavor_id: str
    project_id: str
    def __init__(self, flavor_id: _Optional[str] = ..., project_id: _Optional[str] = ...) -> None: ...

class FlavorAccessList(_message.Message):
    __slots__ = ("access",)
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    access: _containers.RepeatedCompositeFieldContainer[FlavorAccess]
    def __init__(self, access: _Optional[_Iterable[_Union[FlavorAccess, _Mapping]]] = ...) -> None: ...

class CreateServerGroupRequest(_message.Message):
    __slots__ = ("name", "policy", "rules")
    class RulesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    name: str
    policy: str
    rules: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., policy: _Optional[str] = ..., rules: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListServerGroupsRequest(_message.Message):
    __slots__ = ("all_projects",)
    ALL_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    all_projects: bool
    def __init__(self, all_projects: _Optional[bool] = ...) -> None: ...

class ListServerGroupsResponse(_message.Message):
    __slots__ = ("server_groups",)
    SERVER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    server_groups: _containers.RepeatedCompositeFieldContainer[_types_pb2.ServerGroup]
    def __init__(self, server_groups: _Optional[_Iterable[_Union[_types_pb2.ServerGroup, _Mapping]]] = ...) -> None: ...

class GetServerGroupRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteServerGroupRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteServerGroupResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateAggregateRequest(_message.Message):
    __slots__ = ("name", "availability_zone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    availability_zone: str
    def __init__(self, name: _Optional[str] = ..., availability_zone: _Optional[str] = ...) -> None: ...

class ListAggregatesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAggregatesResponse(_message.Message):
    __slots__ = ("aggregates",)
    AGGREGATES_FIELD_NUMBER: _ClassVar[int]
    aggregates: _containers.RepeatedCompositeFieldContainer[_types_pb2.Aggregate]
    def __init__(self, aggregates: _Optional[_Iterable[_Union[_types_pb2.Aggregate, _Mapping]]] = ...) -> None: ...

class GetAggregateRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class UpdateAggregateRequest(_message.Message):
    __slots__ = ("id", "name", "availability_zone")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    availability_zone: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., availability_zone: _Optional[str] = ...) -> None: ...

class DeleteAggregateRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteAggregateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AggregateHostRequest(_message.Message):
    __slots__ = ("id", "host")
    ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    id: str
    host: str
    def __init__(self, id: _Optional[str] = ..., host: _Optional[str] = ...) -> None: ...

class SetAggregateMetadataRequest(_message.Message):
    __slots__ = ("id", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListAvailabilityZonesRequest(_message.Message):
    __slots__ = ("detail",)
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    detail: bool
    def __init__(self, detail: _Optional[bool] = ...) -> None: ...

class AvailabilityZone(_message.Message):
    __slots__ = ("name", "available", "hosts")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    available: bool
    hosts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., available: _Optional[bool] = ..., hosts: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAvailabilityZonesResponse(_message.Message):
    __slots__ = ("zones",)
    ZONES_FIELD_NUMBER: _ClassVar[int]
    zones: _containers.RepeatedCompositeFieldContainer[AvailabilityZone]
    def __init__(self, zones: _Optional[_Iterable[_Union[AvailabilityZone, _Mapping]]] = ...) -> None: ...

class GetConsoleOutputRequest(_message.Message):
    __slots__ = ("id", "length")
    ID_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    id: str
    length: int
    def __init__(self, id: _Optional[str] = ..., length: _Optional[int] = ...) -> None: ...

class GetConsoleOutputResponse(_message.Message):
    __slots__ = ("output",)
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: str
    def __init__(self, output: _Optional[str] = ...) -> None: ...

class CreateRemoteConsoleRequest(_message.Message):
    __slots__ = ("id", "protocol", "type")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    protocol: str
    type: str
    def __init__(self, id: _Optional[str] = ..., protocol: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class RemoteConsole(_message.Message):
    __slots__ = ("protocol", "type", "url")
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    protocol: str
    type: str
    url: str
    def __init__(self, protocol: _Optional[str] = ..., type: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class QuotaSet(_message.Message):
    __slots__ = ("project_id", "limits")
    class LimitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    limits: _containers.ScalarMap[str, int]
    def __init__(self, project_id: _Optional[str] = ..., limits: _Optional[_Mapping[str, int]] = ...) -> None: ...

class QuotaUsage(_message.Message):
    __slots__ = ("project_id", "in_use", "project_deleted")
    class InUseEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    IN_USE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_DELETED_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    in_use: _containers.ScalarMap[str, int]
    project_deleted: bool
    def __init__(self, project_id: _Optional[str] = ..., in_use: _Optional[_Mapping[str, int]] = ..., project_deleted: _Optional[bool] = ...) -> None: ...

class QuotaCharge(_message.Message):
    __slots__ = ("project_id", "amounts")
    class AmountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNTS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    amounts: _containers.ScalarMap[str, int]
    def __init__(self, project_id: _Optional[str] = ..., amounts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class QuotaDetail(_message.Message):
    __slots__ = ("limit", "in_use", "reserved")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    IN_USE_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    limit: int
    in_use: int
    reserved: int
    def __init__(self, limit: _Optional[int] = ..., in_use: _Optional[int] = ..., reserved: _Optional[int] = ...) -> None: ...

class GetQuotaSetRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class QuotaSetResponse(_message.Message):
    __slots__ = ("project_id", "limits", "detail")
    class LimitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class DetailEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: QuotaDetail
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[QuotaDetail, _Mapping]] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    limits: _containers.ScalarMap[str, int]
    detail: _containers.MessageMap[str, QuotaDetail]
    def __init__(self, project_id: _Optional[str] = ..., limits: _Optional[_Mapping[str, int]] = ..., detail: _Optional[_Mapping[str, QuotaDetail]] = ...) -> None: ...

class UpdateQuotaSetRequest(_message.Message):
    __slots__ = ("project_id", "limits", "force")
    class LimitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    limits: _containers.ScalarMap[str, int]
    force: bool
    def __init__(self, project_id: _Optional[str] = ..., limits: _Optional[_Mapping[str, int]] = ..., force: _Optional[bool] = ...) -> None: ...

class DeleteQuotaSetRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class DeleteQuotaSetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuotaDefaultsRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class GetLimitsRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class LimitsResponse(_message.Message):
    __slots__ = ("project_id", "absolute")
    class AbsoluteEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    absolute: _containers.ScalarMap[str, int]
    def __init__(self, project_id: _Optional[str] = ..., absolute: _Optional[_Mapping[str, int]] = ...) -> None: ...

class DeleteFlavorRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteFlavorResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
