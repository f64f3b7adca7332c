from google.type import date_pb2 as _date_pb2
from toudai.v1 import deals_pb2 as _deals_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IndicatorScore(_message.Message):
    __slots__ = ("name", "value", "points")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    points: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., points: _Optional[str] = ...) -> None: ...

class DimensionScore(_message.Message):
    __slots__ = ("name", "score")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    score: str
    def __init__(self, name: _Optional[str] = ..., score: _Optional[str] = ...) -> None: ...

class Assessment(_message.Message):
    __slots__ = ("name", "branch", "borrower_uscc", "as_of_date", "model_version", "indicators", "dimensions", "total_score", "tier", "recorded_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    branch: str
    borrower_uscc: str
    as_of_date: _date_pb2.Date
    model_version: str
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorScore]
    dimensions: _containers.RepeatedCompositeFieldContainer[DimensionScore]
    total_score: str
    tier: _deals_pb2.BorrowerStage
    recorded_by: _deals_pb2.Attribution
    def __init__(self, name: _Optional[str] = ..., branch: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., model_version: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[IndicatorScore, _Mapping]]] = ..., dimensions: _Optional[_Iterable[_Union[DimensionScore, _Mapping]]] = ..., total_score: _Optional[str] = ..., tier: _Optional[_Union[_deals_pb2.BorrowerStage, str]] = ..., recorded_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ...) -> None: ...

class RecordAssessmentRequest(_message.Message):
    __slots__ = ("request_id", "branch", "borrower_uscc", "as_of_date", "model_version", "indicators")
    class IndicatorsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    branch: str
    borrower_uscc: str
    as_of_date: _date_pb2.Date
    model_version: str
    indicators: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., branch: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., model_version: _Optional[str] = ..., indicators: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RecordAssessmentResponse(_message.Message):
    __slots__ = ("assessment",)
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    assessment: Assessment
    def __init__(self, assessment: _Optional[_Union[Assessment, _Mapping]] = ...) -> None: ...

class GetAssessmentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAssessmentResponse(_message.Message):
    __slots__ = ("assessment",)
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    assessment: Assessment
    def __init__(self, assessment: _Optional[_Union[Assessment, _Mapping]] = ...) -> None: ...

class ListAssessmentsRequest(_message.Message):
    __slots__ = ("borrower_uscc", "as_of_date", "branch")
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    borrower_uscc: str
    as_of_date: _date_pb2.Date
    branch: str
    def __init__(self, borrower_uscc: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., branch: _Optional[str] = ...) -> None: ...

class ListAssessmentsResponse(_message.Message):
    __slots__ = ("assessments", "in_force")
    ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    assessments: _containers.RepeatedCompositeFieldContainer[Assessment]
    in_force: Assessment
    def __init__(self, assessments: _Optional[_Iterable[_Union[Assessment, _Mapping]]] = ..., in_force: _Optional[_Union[Assessment, _Mapping]] = ...) -> None: ...
