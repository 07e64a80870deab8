"""Health assessment bodies: clinical ranges enforced; missing measurements are imputed."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiabetesInputs(_Inputs):
    """Pima fields: glucose mg/dL (2 h OGTT), diastolic blood pressure mmHg, triceps skin fold
    mm, 2 h serum insulin µU/mL, BMI kg/m²."""

    pregnancies: Annotated[int, Field(ge=0, le=20)] | None = None
    glucose: Annotated[float, Field(ge=40, le=400)] | None = None
    blood_pressure: Annotated[float, Field(ge=30, le=200)] | None = None
    skin_thickness: Annotated[float, Field(ge=5, le=100)] | None = None
    insulin: Annotated[float, Field(ge=10, le=1000)] | None = None
    bmi: Annotated[float, Field(ge=10, le=80)] | None = None
    diabetes_pedigree: Annotated[float, Field(ge=0.05, le=3.0)] | None = None
    age: Annotated[int, Field(ge=18, le=120)]


class HeartInputs(_Inputs):
    """UCI Cleveland fields with their codes (cp 1-4, restecg 0-2, slope 1-3, thal 3/6/7)."""

    age: Annotated[int, Field(ge=18, le=120)]
    sex: Literal[0, 1]
    cp: Literal[1, 2, 3, 4] | None = None
    trestbps: Annotated[float, Field(ge=60, le=250)] | None = None
    chol: Annotated[float, Field(ge=80, le=700)] | None = None
    fbs: Literal[0, 1] | None = None
    restecg: Literal[0, 1, 2] | None = None
    thalach: Annotated[float, Field(ge=50, le=250)] | None = None
    exang: Literal[0, 1] | None = None
    oldpeak: Annotated[float, Field(ge=0, le=10)] | None = None
    slope: Literal[1, 2, 3] | None = None
    ca: Literal[0, 1, 2, 3] | None = None
    thal: Literal[3, 6, 7] | None = None


class DiabetesAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Literal["diabetes"]
    inputs: DiabetesInputs


class HeartAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Literal["heart"]
    inputs: HeartInputs


AssessmentRequest = Annotated[DiabetesAssessment | HeartAssessment,
                              Field(discriminator="model")]


class RiskFactor(BaseModel):
    feature: str
    value: float | None
    contribution: float = Field(description="To the log-odds of the risk; > 0 raises it.")


class Assessment(BaseModel):
    request_id: str
    model: dict[str, str]
    risk: float = Field(ge=0, le=1, description="Calibrated probability.")
    factors: list[RiskFactor]
    limits: list[str] = Field(description="From the model card: what this estimate is not.")
    notice: str = "Not a diagnosis: a statistical estimate for decision support only."
