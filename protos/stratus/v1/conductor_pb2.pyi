from stratus.v1 import agent_pb2 as _agent_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RelayCommandRequest(_message.Message):
    __slots__ = ("command", "timeout_seconds")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    command: _agent_pb2.Command
    timeout_seconds: float
    def __init__(self, command: _Optional[_Union[_agent_pb2.Command, _Mapping]] = ..., timeout_seconds: _Optional[float] = ...) -> None: ...

class RelayCommandResponse(_message.Message):
    __slots__ = ("result", "unreachable", "failed")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    UNREACHABLE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    result: _agent_pb2.CommandResult
    unreachable: str
    failed: str
    def __init__(self, result: _Optional[_Union[_agent_pb2.CommandResult, _Mapping]] = ..., unreachable: _Optional[str] = ..., failed: _Optional[str] = ...) -> None: ...

class SubmitTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    def __init__(self, task_id: _Optional[str] = ...) -> None: ...

class SubmitTaskResponse(_message.Message):
    __slots__ = ("accepted",)
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    def __init__(self, accepted: _Optional[bool] = ...) -> None: ...

class GetConsoleRequest(_message.Message):
    __slots__ = ("instance_id", "host", "kind", "length")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[GetConsoleRequest.Kind]
        KIND_OUTPUT: _ClassVar[GetConsoleRequest.Kind]
        KIND_VNC: _ClassVar[GetConsoleRequest.Kind]
    KIND_UNSPECIFIED: GetConsoleRequest.Kind
    KIND_OUTPUT: GetConsoleRequest.Kind
    KIND_VNC: GetConsoleRequest.Kind
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    host: str
    kind: GetConsoleRequest.Kind
    length: int
    def __init__(self, instance_id: _Optional[str] = ..., host: _Optional[str] = ..., kind: _Optional[_Union[GetConsoleRequest.Kind, str]] = ..., length: _Optional[int] = ...) -> None: ...

class GetConsoleResponse(_message.Message):
    __slots__ = ("output", "address", "port")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    output: str
    address: str
    port: int
    def __init__(self, output: _Optional[str] = ..., address: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class ConsoleToken(_message.Message):
    __slots__ = ("instance_id", "host", "address", "port", "protocol", "console_type", "project_id", "expires_at_unix_ms")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    CONSOLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    host: str
    address: str
    port: int
    protocol: str
    console_type: str
    project_id: str
    expires_at_unix_ms: int
    def __init__(self, instance_id: _Optional[str] = ..., host: _Optional[str] = ..., address: _Optional[str] = ..., port: _Optional[int] = ..., protocol: _Optional[str] = ..., console_type: _Optional[str] = ..., project_id: _Optional[str] = ..., expires_at_unix_ms: _Optional[int] = ...) -> None: ...
