"""The template reader: short-form intrinsics, parameters, conditions, Globals."""

from __future__ import annotations

import pytest

from edgeguard_tools.local.template import Template, TemplateError, topological_order

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev, AllowedPattern: "^[a-z]+$"}
  Shards: {Type: Number, Default: 2, AllowedValues: [1, 2, 3]}
  Cidrs: {Type: CommaDelimitedList, Default: ""}
Conditions:
  Two: !Or [!Equals [!Ref Shards, 2], !Condition Three]
  Three: !Equals [!Ref Shards, 3]
  HasCidrs: !Not [!Equals [!Join ["", !Ref Cidrs], ""]]
Globals:
  Function:
    Timeout: 30
    Environment:
      Variables: {GLOBAL: g, ENV: !Ref Env}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Sub "x-${Env}-${AWS::Region}"}
  Second:
    Type: AWS::SNS::Topic
    Condition: Two
    Properties:
      TopicName: !Sub ["${Prefix}-two", {Prefix: !GetAtt Topic.TopicName}]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 60
      Environment:
        Variables:
          TOPIC: !Ref Topic
          PICK: !Select [1, !Split [",", "a,b,c"]]
          MAYBE: !If [HasCidrs, yes, !Ref AWS::NoValue]
"""


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "template.yaml"
    file.write_text(TEMPLATE)
    return file


def resolve(template, value):
    return template.resolve(value, ref=lambda name: f"ref:{name}", att=lambda a, b: f"{a}.{b}")


def test_conditions_follow_parameters(path):
    assert Template.load(path).conditions == {"Two": True, "Three": False, "HasCidrs": False}
    three = Template.load(path, {"Shards": 3})
    assert three.conditions["Two"] is True and three.conditions["Three"] is True
    one = Template.load(path, {"Shards": "1", "Cidrs": ["10.0.0.0/8", "192.0.2.0/24"]})
    assert one.conditions == {"Two": False, "Three": False, "HasCidrs": True}
    assert "Second" not in one.resources()


def test_overrides_are_checked_like_cloudformation(path):
    with pytest.raises(TemplateError, match="Env='Dev'"):
        Template.load(path, {"Env": "Dev"})
    with pytest.raises(TemplateError, match="not one of"):
        Template.load(path, {"Shards": 4})
    with pytest.raises(TemplateError, match="unknown parameter"):
        Template.load(path, {"Nope": "x"})


def test_sub_getatt_select_split_and_novalue(path):
    template = Template.load(path)
    resources = template.resources()
    assert resolve(template, resources["Topic"]["Properties"]) == {"TopicName": "x-dev-us-east-1"}
    assert resolve(template, resources["Second"]["Properties"]) == {
        "TopicName": "Topic.TopicName-two"
    }
    variables = resolve(template, resources["Fn"]["Properties"]["Environment"]["Variables"])
    assert variables == {"GLOBAL": "g", "ENV": "dev", "TOPIC": "ref:Topic", "PICK": "b"}


def test_globals_merge_maps_and_let_the_function_win(path):
    props = Template.load(path).resources()["Fn"]["Properties"]
    assert props["Timeout"] == 60
    assert set(props["Environment"]["Variables"]) == {"GLOBAL", "ENV", "TOPIC", "PICK", "MAYBE"}


def test_creation_order_puts_dependencies_first(path):
    template = Template.load(path)
    assert topological_order(template, ["Second", "Topic"]) == ["Topic", "Second"]


def test_real_template_parses_with_its_defaults():
    template = Template.load()
    assert template.conditions["BanShard2"] is True
    assert template.conditions["BanShard3"] is False
    assert "BanIpV4Shard2" in template.resources() and "BanIpV4Shard3" not in template.resources()
