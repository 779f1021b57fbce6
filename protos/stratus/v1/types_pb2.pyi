import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VmState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VM_STATE_UNSPECIFIED: _ClassVar[VmState]
    VM_STATE_BUILDING: _ClassVar[VmState]
    VM_STATE_ACTIVE: _ClassVar[VmState]
    VM_STATE_STOPPED: _ClassVar[VmState]
    VM_STATE_PAUSED: _ClassVar[VmState]
    VM_STATE_SUSPENDED: _ClassVar[VmState]
    VM_STATE_ERROR: _ClassVar[VmState]
    VM_STATE_DELETED: _ClassVar[VmState]

class TaskState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATE_NONE: _ClassVar[TaskState]
    TASK_STATE_SCHEDULING: _ClassVar[TaskState]
    TASK_STATE_NETWORKING: _ClassVar[TaskState]
    TASK_STATE_SPAWNING: _ClassVar[TaskState]
    TASK_STATE_POWERING_OFF: _ClassVar[TaskState]
    TASK_STATE_POWERING_ON: _ClassVar[TaskState]
    TASK_STATE_REBOOTING: _ClassVar[TaskState]
    TASK_STATE_REBOOTING_HARD: _ClassVar[TaskState]
    TASK_STATE_PAUSING: _ClassVar[TaskState]
    TASK_STATE_UNPAUSING: _ClassVar[TaskState]
    TASK_STATE_SUSPENDING: _ClassVar[TaskState]
    TASK_STATE_RESUMING: _ClassVar[TaskState]
    TASK_STATE_DELETING: _ClassVar[TaskState]

class PowerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POWER_STATE_NOSTATE: _ClassVar[PowerState]
    POWER_STATE_RUNNING: _ClassVar[PowerState]
    POWER_STATE_PAUSED: _ClassVar[PowerState]
    POWER_STATE_SHUTDOWN: _ClassVar[PowerState]
    POWER_STATE_CRASHED: _ClassVar[PowerState]
    POWER_STATE_SUSPENDED: _ClassVar[PowerState]
VM_STATE_UNSPECIFIED: VmState
VM_STATE_BUILDING: VmState
VM_STATE_ACTIVE: VmState
VM_STATE_STOPPED: VmState
VM_STATE_PAUSED: VmState
VM_STATE_SUSPENDED: VmState
VM_STATE_ERROR: VmState
VM_STATE_DELETED: VmState
TASK_STATE_NONE: TaskState
TASK_STATE_SCHEDULING: TaskState
TASK_STATE_NETWORKING: TaskState
TASK_STATE_SPAWNING: TaskState
TASK_STATE_POWERING_OFF: TaskState
TASK_STATE_POWERING_ON: TaskState
TASK_STATE_REBOOTING: TaskState
TASK_STATE_REBOOTING_HARD: TaskState
TASK_STATE_PAUSING: TaskState
TASK_STATE_UNPAUSING: TaskState
TASK_STATE_SUSPENDING: TaskState
TASK_STATE_RESUMING: TaskState
TASK_STATE_DELETING: TaskState
POWER_STATE_NOSTATE: PowerState
POWER_STATE_RUNNING: PowerState
POWER_STATE_PAUSED: PowerState
POWER_STATE_SHUTDOWN: PowerState
POWER_STATE_CRASHED: PowerState
POWER_STATE_SUSPENDED: PowerState

class RequestContext(_message.Message):
    __slots__ = ("request_id", "user_id", "project_id", "roles")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    project_id: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ...) -> None: ...

class Flavor(_message.Message):
    __slots__ = ("id", "name", "vcpus", "ram_mb", "disk_gb", "ephemeral_gb", "swap_mb", "is_public", "rxtx_factor", "description", "extra_specs")
    class ExtraSpecsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    RAM_MB_FIELD_NUMBER: _ClassVar[int]
    DISK_GB_FIELD_NUMBER: _ClassVar[int]
    EPHEMERAL_GB_FIELD_NUMBER: _ClassVar[int]
    SWAP_MB_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    RXTX_FACTOR_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXTRA_SPECS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    ephemeral_gb: int
    swap_mb: int
    is_public: bool
    rxtx_factor: float
    description: str
    extra_specs: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., vcpus: _Optional[int] = ..., ram_mb: _Optional[int] = ..., disk_gb: _Optional[int] = ..., ephemeral_gb: _Optional[int] = ..., swap_mb: _Optional[int] = ..., is_public: _Optional[bool] = ..., rxtx_factor: _Optional[float] = ..., description: _Optional[str] = ..., extra_specs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("id", "name", "status", "disk_format", "container_format", "size_bytes", "min_ram_mb", "min_disk_gb", "visibility", "owner", "properties", "created_at", "updated_at")
    class PropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DISK_FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MIN_RAM_MB_FIELD_NUMBER: _ClassVar[int]
    MIN_DISK_GB_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    status: str
    disk_format: str
    container_format: str
    size_bytes: int
    min_ram_mb: int
    min_disk_gb: int
    visibility: str
    owner: str
    properties: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., disk_format: _Optional[str] = ..., container_format: _Optional[str] = ..., size_bytes: _Optional[int] = ..., min_ram_mb: _Optional[int] = ..., min_disk_gb: _Optional[int] = ..., visibility: _Optional[str] = ..., owner: _Optional[str] = ..., properties: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("network", "addr", "version", "mac_addr")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ADDR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDR_FIELD_NUMBER: _ClassVar[int]
    network: str
    addr: str
    version: int
    mac_addr: str
    def __init__(self, network: _Optional[str] = ..., addr: _Optional[str] = ..., version: _Optional[int] = ..., mac_addr: _Optional[str] = ...) -> None: ...

class Fault(_message.Message):
    __slots__ = ("code", "message", "details", "created_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    details: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., details: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Instance(_message.Message):
    __slots__ = ("id", "name", "project_id", "user_id", "flavor", "image_id", "vm_state", "task_state", "power_state", "host", "metadata", "addresses", "fault", "reservation_id", "launch_index", "created_at", "updated_at", "launched_at", "terminated_at", "failed_hosts", "progress", "build_errors", "availability_zone", "scheduler_hints", "server_group_id", "alternate_hosts", "description", "tags", "hostname", "without_network", "user_data", "host_availability_zone")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VM_STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_STATE_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    FAULT_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAUNCHED_AT_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_AT_FIELD_NUMBER: _ClassVar[int]
    FAILED_HOSTS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    BUILD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_HINTS_FIELD_NUMBER: _ClassVar[int]
    SERVER_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ALTERNATE_HOSTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_NETWORK_FIELD_NUMBER: _ClassVar[int]
    USER_DATA_FIELD_NUMBER: _ClassVar[int]
    HOST_AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    project_id: str
    user_id: str
    flavor: Flavor
    image_id: str
    vm_state: VmState
    task_state: TaskState
    power_state: PowerState
    host: str
    metadata: _containers.ScalarMap[str, str]
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    fault: Fault
    reservation_id: str
    launch_index: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    launched_at: _timestamp_pb2.Timestamp
    terminated_at: _timestamp_pb2.Timestamp
    failed_hosts: _containers.RepeatedScalarFieldContainer[str]
    progress: int
    build_errors: _containers.RepeatedScalarFieldContainer[str]
    availability_zone: str
    scheduler_hints: SchedulerHints
    server_group_id: str
    alternate_hosts: _containers.RepeatedScalarFieldContainer[str]
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    hostname: str
    without_network: bool
    user_data: str
    host_availability_zone: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., flavor: _Optional[_Union[Flavor, _Mapping]] = ..., image_id: _Optional[str] = ..., vm_state: _Optional[_Union[VmState, str]] = ..., task_state: _Optional[_Union[TaskState, str]] = ..., power_state: _Optional[_Union[PowerState, str]] = ..., host: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., fault: _Optional[_Union[Fault, _Mapping]] = ..., reservation_id: _Optional[str] = ..., launch_index: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., launched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., terminated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_hosts: _Optional[_Iterable[str]] = ..., progress: _Optional[int] = ..., build_errors: _Optional[_Iterable[str]] = ..., availability_zone: _Optional[str] = ..., scheduler_hints: _Optional[_Union[SchedulerHints, _Mapping]] = ..., server_group_id: _Optional[str] = ..., alternate_hosts: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., hostname: _Optional[str] = ..., without_network: _Optional[bool] = ..., user_data: _Optional[str] = ..., host_availability_zone: _Optional[str] = ...) -> None: ...

class SchedulerHints(_message.Message):
    __slots__ = ("same_host", "different_host", "group", "build_near_host_ip", "cidr", "query")
    SAME_HOST_FIELD_NUMBER: _ClassVar[int]
    DIFFERENT_HOST_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    BUILD_NEAR_HOST_IP_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    same_host: _containers.RepeatedScalarFieldContainer[str]
    different_host: _containers.RepeatedScalarFieldContainer[str]
    group: str
    build_near_host_ip: str
    cidr: str
    query: str
    def __init__(self, same_host: _Optional[_Iterable[str]] = ..., different_host: _Optional[_Iterable[str]] = ..., group: _Optional[str] = ..., build_near_host_ip: _Optional[str] = ..., cidr: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class Aggregate(_message.Message):
    __slots__ = ("id", "name", "availability_zone", "hosts", "metadata", "created_at", "updated_at")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    availability_zone: str
    hosts: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., availability_zone: _Optional[str] = ..., hosts: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServerGroup(_message.Message):
    __slots__ = ("id", "name", "policy", "rules", "members", "project_id", "user_id", "created_at")
    class RulesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    policy: str
    rules: _containers.ScalarMap[str, str]
    members: _containers.RepeatedScalarFieldContainer[str]
    project_id: str
    user_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., policy: _Optional[str] = ..., rules: _Optional[_Mapping[str, str]] = ..., members: _Optional[_Iterable[str]] = ..., project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InstanceAction(_message.Message):
    __slots__ = ("instance_id", "request_id", "action", "user_id", "project_id", "start_time", "finish_time", "result", "message")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    request_id: str
    action: str
    user_id: str
    project_id: str
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    result: str
    message: str
    def __init__(self, instance_id: _Optional[str] = ..., request_id: _Optional[str] = ..., action: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., result: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Host(_message.Message):
    __slots__ = ("name", "agent_id", "hypervisor_type", "hypervisor_version", "hypervisor_uri", "host_ip", "cpu_model", "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "running_vms", "enabled", "disabled_reason", "updated_at", "console_address", "supported_instances", "capabilities")
    class CapabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HYPERVISOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    HYPERVISOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    HYPERVISOR_URI_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    CPU_MODEL_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GB_FIELD_NUMBER: _ClassVar[int]
    VCPUS_USED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_USED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GB_USED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_VMS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONSOLE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    agent_id: str
    hypervisor_type: str
    hypervisor_version: int
    hypervisor_uri: str
    host_ip: str
    cpu_model: str
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    running_vms: int
    enabled: bool
    disabled_reason: str
    updated_at: _timestamp_pb2.Timestamp
    console_address: str
    supported_instances: _containers.RepeatedScalarFieldContainer[str]
    capabilities: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., agent_id: _Optional[str] = ..., hypervisor_type: _Optional[str] = ..., hypervisor_version: _Optional[int] = ..., hypervisor_uri: _Optional[str] = ..., host_ip: _Optional[str] = ..., cpu_model: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mb: _Optional[int] = ..., local_gb: _Optional[int] = ..., vcpus_used: _Optional[int] = ..., memory_mb_used: _Optional[int] = ..., local_gb_used: _Optional[int] = ..., running_vms: _Optional[int] = ..., enabled: _Optional[bool] = ..., disabled_reason: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., console_address: _Optional[str] = ..., supported_instances: _Optional[_Iterable[str]] = ..., capabilities: _Optional[_Mapping[str, str]] = ...) -> None: ...

class HostUsage(_message.Message):
    __slots__ = ("host", "vcpus_used", "memory_mb_used", "local_gb_used", "instances", "recent_build_failures", "last_build_failure_at")
    HOST_FIELD_NUMBER: _ClassVar[int]
    VCPUS_USED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_USED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GB_USED_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    RECENT_BUILD_FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_BUILD_FAILURE_AT_FIELD_NUMBER: _ClassVar[int]
    host: str
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    instances: int
    recent_build_failures: int
    last_build_failure_at: _timestamp_pb2.Timestamp
    def __init__(self, host: _Optional[str] = ..., vcpus_used: _Optional[int] = ..., memory_mb_used: _Optional[int] = ..., local_gb_used: _Optional[int] = ..., instances: _Optional[int] = ..., recent_build_failures: _Optional[int] = ..., last_build_failure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Allocation(_message.Message):
    __slots__ = ("instance_id", "host", "vcpus", "memory_mb", "local_gb", "server_group_id")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GB_FIELD_NUMBER: _ClassVar[int]
    SERVER_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    host: str
    vcpus: int
    memory_mb: int
    local_gb: int
    server_group_id: str
    def __init__(self, instance_id: _Optional[str] = ..., host: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mb: _Optional[int] = ..., local_gb: _Optional[int] = ..., server_group_id: _Optional[str] = ...) -> None: ...

class ServerGroupPlacement(_message.Message):
    __slots__ = ("group_id", "member_hosts")
    class MemberHostsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_HOSTS_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    member_hosts: _containers.ScalarMap[str, str]
    def __init__(self, group_id: _Optional[str] = ..., member_hosts: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ServiceRecord(_message.Message):
    __slots__ = ("id", "binary", "host", "grpc_endpoint", "metrics_endpoint", "started_at", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    BINARY_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    GRPC_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    METRICS_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    binary: str
    host: str
    grpc_endpoint: str
    metrics_endpoint: str
    started_at: _timestamp_pb2.Timestamp
    version: str
    def __init__(self, id: _Optional[str] = ..., binary: _Optional[str] = ..., host: _Optional[str] = ..., grpc_endpoint: _Optional[str] = ..., metrics_endpoint: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[str] = ...) -> None: ...

class Network(_message.Message):
    __slots__ = ("name", "cidr", "gateway")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    name: str
    cidr: str
    gateway: str
    def __init__(self, name: _Optional[str] = ..., cidr: _Optional[str] = ..., gateway: _Optional[str] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "kind", "instance_id", "action", "reboot_type", "context", "owner", "created_at", "attempts", "action_record_id", "traceparent")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Task.Kind]
        KIND_BUILD: _ClassVar[Task.Kind]
        KIND_DELETE: _ClassVar[Task.Kind]
        KIND_ACTION: _ClassVar[Task.Kind]
    KIND_UNSPECIFIED: Task.Kind
    KIND_BUILD: Task.Kind
    KIND_DELETE: Task.Kind
    KIND_ACTION: Task.Kind
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REBOOT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ACTION_RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: Task.Kind
    instance_id: str
    action: str
    reboot_type: str
    context: RequestContext
    owner: str
    created_at: _timestamp_pb2.Timestamp
    attempts: int
    action_record_id: str
    traceparent: str
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[Task.Kind, str]] = ..., instance_id: _Optional[str] = ..., action: _Optional[str] = ..., reboot_type: _Optional[str] = ..., context: _Optional[_Union[RequestContext, _Mapping]] = ..., owner: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., action_record_id: _Optional[str] = ..., traceparent: _Optional[str] = ...) -> None: ...
