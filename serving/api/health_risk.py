"""POST /v1/health/assessments: the heart and diabetes risk models (medical, not liveness: that
is /healthz): calibrated risk with its main factors and the card's limits."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Body, Depends, HTTPException

from serving.deps import HealthModelsDep, RequestIdDep
from serving.edge.auth import require_scope
from serving.schemas.health_risk import Assessment, AssessmentRequest, RiskFactor

router = APIRouter(prefix="/v1/health", tags=["health"],
                   dependencies=[Depends(require_scope("health"))])


@router.post("/assessments", response_model=Assessment,
             responses={503: {"description": "No health model of that kind is in service"}})
async def assess(models: HealthModelsDep, request_id: RequestIdDep,
                 body: AssessmentRequest = Body()) -> Assessment:  # noqa: B008
    served = models.current.get(body.model)
    if served is None:
        raise HTTPException(503, f"model: no {body.model} health model in service",
                            headers={"Retry-After": "30"})
    row = {k: (float(v) if v is not None else float("nan"))
           for k, v in body.inputs.model_dump().items()}
    frame = pd.DataFrame([row])
    risk = float(served.scorer.predict_proba(frame)[0])
    factors = [RiskFactor(feature=f.feature, value=f.value, contribution=f.contribution)
               for f in served.scorer.explain(row)]
    return Assessment(request_id=request_id,
                      model={"name": served.name, "version": served.version},
                      risk=round(risk, 4), factors=factors, limits=list(served.limits))
