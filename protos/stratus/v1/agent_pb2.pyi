import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stratus.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentMessage(_message.Message):
    __slots__ = ("hello", "capacity", "power_event", "result", "resync", "heartbeat")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    POWER_EVENT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RESYNC_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    capacity: CapacityReport
    power_event: PowerStateEvent
    result: CommandResult
    resync: Resync
    heartbeat: Heartbeat
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., capacity: _Optional[_Union[CapacityReport, _Mapping]] = ..., power_event: _Optional[_Union[PowerStateEvent, _Mapping]] = ..., result: _Optional[_Union[CommandResult, _Mapping]] = ..., resync: _Optional[_Union[Resync, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class ConductorMessage(_message.Message):
    __slots__ = ("welcome", "command", "heartbeat")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    command: Command
    heartbeat: Heartbeat
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., command: _Optional[_Union[Command, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("agent_id", "hosts")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    hosts: _containers.RepeatedCompositeFieldContainer[_types_pb2.Host]
    def __init__(self, agent_id: _Optional[str] = ..., hosts: _Optional[_Iterable[_Union[_types_pb2.Host, _Mapping]]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("conductor_id", "capacity_interval_seconds", "heartbeat_interval_seconds", "heartbeat_timeout_seconds")
    CONDUCTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    conductor_id: str
    capacity_interval_seconds: int
    heartbeat_interval_seconds: float
    heartbeat_timeout_seconds: float
    def __init__(self, conductor_id: _Optional[str] = ..., capacity_interval_seconds: _Optional[int] = ..., heartbeat_interval_seconds: _Optional[float] = ..., heartbeat_timeout_seconds: _Optional[float] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sent_at",)
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CapacityReport(_message.Message):
    __slots__ = ("host",)
    HOST_FIELD_NUMBER: _ClassVar[int]
    host: _types_pb2.Host
    def __init__(self, host: _Optional[_Union[_types_pb2.Host, _Mapping]] = ...) -> None: ...

class PowerStateEvent(_message.Message):
    __slots__ = ("host", "instance_id", "power_state", "event", "observed_at")
    HOST_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    host: str
    instance_id: str
    power_state: _types_pb2.PowerState
    event: str
    observed_at: _timestamp_pb2.Timestamp
    def __init__(self, host: _Optional[str] = ..., instance_id: _Optional[str] = ..., power_state: _Optional[_Union[_types_pb2.PowerState, str]] = ..., event: _Optional[str] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Resync(_message.Message):
    __slots__ = ("host", "domains")
    HOST_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    host: str
    domains: _containers.RepeatedCompositeFieldContainer[DomainStatus]
    def __init__(self, host: _Optional[str] = ..., domains: _Optional[_Iterable[_Union[DomainStatus, _Mapping]]] = ...) -> None: ...

class DomainStatus(_message.Message):
    __slots__ = ("instance_id", "power_state")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    power_state: _types_pb2.PowerState
    def __init__(self, instance_id: _Optional[str] = ..., power_state: _Optional[_Union[_types_pb2.PowerState, str]] = ...) -> None: ...

class SpawnSpec(_message.Message):
    __slots__ = ("instance_id", "name", "vcpus", "memory_mb", "disk_gb", "image", "addresses", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    DISK_GB_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    image: _types_pb2.Image
    addresses: _containers.RepeatedCompositeFieldContainer[_types_pb2.Address]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, instance_id: _Optional[str] = ..., name: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mb: _Optional[int] = ..., disk_gb: _Optional[int] = ..., image: _Optional[_Union[_types_pb2.Image, _Mapping]] = ..., addresses: _Optional[_Iterable[_Union[_types_pb2.Address, _Mapping]]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_id", "host", "op", "instance_id", "spawn", "request_id", "console_length", "traceparent")
    class Op(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OP_UNSPECIFIED: _ClassVar[Command.Op]
        OP_SPAWN: _ClassVar[Command.Op]
        OP_DESTROY: _ClassVar[Command.Op]
        OP_STOP: _ClassVar[Command.Op]
        OP_START: _ClassVar[Command.Op]
        OP_REBOOT_SOFT: _ClassVar[Command.Op]
        OP_REBOOT_HARD: _ClassVar[Command.Op]
        OP_PAUSE: _ClassVar[Command.Op]
        OP_UNPAUSE: _ClassVar[Command.Op]
        OP_SUSPEND: _ClassVar[Command.Op]
        OP_RESUME: _ClassVar[Command.Op]
        OP_CONSOLE_OUTPUT: _ClassVar[Command.Op]
        OP_VNC_CONSOLE: _ClassVar[Command.Op]
    OP_UNSPECIFIED: Command.Op
    OP_SPAWN: Command.Op
    OP_DESTROY: Command.Op
    OP_STOP: Command.Op
    OP_START: Command.Op
    OP_REBOOT_SOFT: Command.Op
    OP_REBOOT_HARD: Command.Op
    OP_PAUSE: Command.Op
    OP_UNPAUSE: Command.Op
    OP_SUSPEND: Command.Op
    OP_RESUME: Command.Op
    OP_CONSOLE_OUTPUT: Command.Op
    OP_VNC_CONSOLE: Command.Op
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAWN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONSOLE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    host: str
    op: Command.Op
    instance_id: str
    spawn: SpawnSpec
    request_id: str
    console_length: int
    traceparent: str
    def __init__(self, command_id: _Optional[str] = ..., host: _Optional[str] = ..., op: _Optional[_Union[Command.Op, str]] = ..., instance_id: _Optional[str] = ..., spawn: _Optional[_Union[SpawnSpec, _Mapping]] = ..., request_id: _Optional[str] = ..., console_length: _Optional[int] = ..., traceparent: _Optional[str] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("command_id", "ok", "error", "power_state", "console_output", "console")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    CONSOLE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    CONSOLE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    ok: bool
    error: str
    power_state: _types_pb2.PowerState
    console_output: str
    console: ConsoleEndpoint
    def __init__(self, command_id: _Optional[str] = ..., ok: _Optional[bool] = ..., error: _Optional[str] = ..., power_state: _Optional[_Union[_types_pb2.PowerState, str]] = ..., console_output: _Optional[str] = ..., console: _Optional[_Union[ConsoleEndpoint, _Mapping]] = ...) -> None: ...

class ConsoleEndpoint(_message.Message):
    __slots__ = ("protocol", "address", "port")
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    protocol: str
    address: str
    port: int
    def __init__(self, protocol: _Optional[str] = ..., address: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...
